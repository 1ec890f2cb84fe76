package dev.leakguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a shell user meets first: help on every command, and no silent success without a command. */
class CommandLineTest {

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "demo", "analyze", "version"})
    void everyCommandHasHelp(String command) {
        CliRun run = run(command, "--help");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("Usage: leakguard " + command);
    }

    @Test
    void noCommandPrintsHelpToStderrAndExits2() {
        CliRun run = run();
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("Usage: leakguard").contains("analyze").contains("run");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void versionPrintsTheVersion() {
        CliRun run = run("version");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("leakguard ");
    }
}
