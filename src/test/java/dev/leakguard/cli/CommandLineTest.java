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

    /** The run command's checks on their own (RunCommandProcessTest runs the command): a malformed URL, an unknown host. */
    @Test
    void anUnusableMasterIsNamedWithItsCause() {
        assertThat(RunCommand.masterProblem("not-a-url")).isEqualTo("'not-a-url' is not an http(s) URL such as https://10.0.0.1:6443");
        assertThat(RunCommand.masterProblem("https://10.0.0.1:6443")).isNull();
        assertThat(RunCommand.unreachable("https://no-such-host.invalid:6443", 2000)).isEqualTo("unknown host no-such-host.invalid");
    }
}
