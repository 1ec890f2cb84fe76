package dev.leakguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** What a shell user meets first: help on every command, and no silent success without a command. */
class CommandLineTest {

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "demo", "analyze", "version"})
    void everyCommandHasHelp(String command) {
        Run run = run(command, "--help");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("Usage: leakguard " + command);
    }

    @Test
    void noCommandPrintsHelpToStderrAndExits2() {
        Run run = run();
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("Usage: leakguard").contains("analyze").contains("run");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void versionPrintsTheVersion() {
        Run run = run("version");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("leakguard ");
    }
}
