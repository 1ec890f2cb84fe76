package dev.leakguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.metrics.PodMetrics;
import dev.leakguard.testing.CapturedStderr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

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

    @ParameterizedTest
    @CsvSource({"all, ALL", "at-risk, AT_RISK", "none, NONE"})
    void podMetricsTakesItsThreeValues(String flag, PodMetrics expected) {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs("--pod-metrics", flag);
        assertThat(PodMetrics.parse(run.podMetrics)).isEqualTo(expected);
        assertThat(expected.flagValue()).isEqualTo(flag);
    }

    @Test
    void podMetricsDefaultsToAtRisk() {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs();
        assertThat(PodMetrics.parse(run.podMetrics)).isEqualTo(PodMetrics.AT_RISK);
        assertThat(run("run", "--help").out().replaceAll("\\s+", " ")).contains("--pod-metrics=all|at-risk|none")
                .contains("thousands of pods (default at-risk)");
    }

    /** Refused before any connection is tried (the master here would answer nothing), in one line naming the flag and its values. */
    @ParameterizedTest
    @ValueSource(strings = {"at_risk", "ALL", "leaking", ""})
    void aBadPodMetricsValueIsRefusedAtStart(String value) {
        CliRun run;
        String err;
        try (CapturedStderr stderr = new CapturedStderr()) {
            run = run("run", "--pod-metrics", value, "--master", "http://127.0.0.1:1");
            err = stderr.text();
        }
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(err).isEqualTo("leakguard: --pod-metrics must be one of all, at-risk, none, got '" + value + "'" + System.lineSeparator());
    }

    /** The operator-wide ledger holds an hour of restarts in one Lease: a cap it cannot hold is refused before any connection. */
    @ParameterizedTest
    @ValueSource(strings = {"-1", "501"})
    void anOperatorCapTheLedgerCannotHoldIsRefusedAtStart(String value) {
        CliRun run;
        String err;
        try (CapturedStderr stderr = new CapturedStderr()) {
            run = run("run", "--max-restarts-per-hour", value, "--master", "http://127.0.0.1:1");
            err = stderr.text();
        }
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(err).isEqualTo("leakguard: --max-restarts-per-hour must be between 0 and 500 (the operator-wide ledger holds an hour "
                + "of them), got " + value + System.lineSeparator());
    }
}
