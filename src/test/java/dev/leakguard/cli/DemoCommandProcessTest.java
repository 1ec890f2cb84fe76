package dev.leakguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.Main;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code leakguard demo} as a user runs it, in its own process: the three checkout-api replicas start together
 * and leak in step, and its summary must show every one restarted with minutes to spare — the restart plan at
 * work — while the annotate-only JVM service is the one OOM-killed. Run at its default speed (a simulated minute per
 * real second, about a minute of real time): faster, a loaded machine's delays eat the margins it measures.
 */
class DemoCommandProcessTest {
    private static final Pattern STOPPED = Pattern.compile("(checkout-api-\\S+)\\s+stopped at (\\S+) of 512Mi, (\\d+)m(\\d+s)? before its limit");

    @Test
    void theDemoSummaryShowsEveryCheckoutReplicaRestartedWithMinutesToSpare() throws Exception {
        Path log = Files.createTempFile("leakguard-demo", ".log");
        Process process = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "demo", "--minutes", "60")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("the demo ends by itself").isTrue();
            String output = Files.readString(log);
            System.out.println(output.lines().filter(l -> !l.contains("LeakSuspected")).reduce("", (a, b) -> a + b + "\n"));
            assertThat(process.exitValue()).isZero();
            Matcher stopped = STOPPED.matcher(output);
            int restarted = 0;
            while (stopped.find()) {
                restarted++;
                assertThat(Integer.parseInt(stopped.group(3))).as(stopped.group(1) + ": minutes left when it was stopped")
                        .isGreaterThanOrEqualTo(5);
            }
            assertThat(restarted).as("checkout-api replicas restarted").isEqualTo(3);
            List<String> planned = output.lines().filter(l -> l.contains("RestartPlanned")).toList();
            assertThat(planned).as("the plan announced on the Deployment").isNotEmpty()
                    .allSatisfy(l -> assertThat(l).contains("deployment/checkout-api"));
            assertThat(output.lines().filter(l -> l.contains("OOMKillMissed"))).as("only the annotate-only JVM service dies")
                    .isNotEmpty().allSatisfy(l -> assertThat(l).contains("billing"));
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
