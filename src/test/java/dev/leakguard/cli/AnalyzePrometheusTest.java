package dev.leakguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leakguard.testing.PrometheusServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code analyze --prometheus-url} against a real Prometheus holding three hours of backfilled
 * history, shaped like what kube-state-metrics and a leaking service leave behind: in namespace
 * {@code shop}, {@code checkout-0} leaks 2 MiB/min until the OOM killer restarts it at its 256Mi
 * limit (twice), {@code checkout-1} is steady; a leaking pod in namespace {@code other} must not be
 * read. Limits come from kube-state-metrics, as no --memory-limit is given.
 */
class AnalyzePrometheusTest {
    private static final long STEP_SECONDS = 15;
    private static final double MIB = 1024 * 1024;
    private static final double LIMIT = 256 * MIB;
    private static PrometheusServer prometheus;
    private static long endSeconds;
    private static int oomKills;

    @TempDir
    Path directory;

    @BeforeAll
    static void startPrometheusWithHistory() {
        endSeconds = Instant.now().getEpochSecond() - 60;
        long startSeconds = endSeconds - Duration.ofHours(3).toSeconds();
        StringBuilder memory = new StringBuilder("# TYPE app_memory_bytes gauge\n");
        StringBuilder restarts = new StringBuilder("# TYPE kube_pod_container_status_restarts_total gauge\n");
        StringBuilder reason = new StringBuilder("# TYPE kube_pod_container_status_last_terminated_reason gauge\n");
        StringBuilder limits = new StringBuilder("# TYPE kube_pod_container_resource_limits gauge\n");
        for (String[] pod : List.of(new String[] {"shop", "checkout-0", "leaks"}, new String[] {"shop", "checkout-1", "steady"},
                new String[] {"other", "orders-0", "leaks"})) {
            String labels = "namespace=\"" + pod[0] + "\",pod=\"" + pod[1] + "\"";
            double base = 100 * MIB;
            double leaked = 0;
            int restartCount = 0;
            boolean oomKilled = false;
            for (long t = startSeconds; t <= endSeconds; t += STEP_SECONDS) {
                double sawtooth = (t / STEP_SECONDS % 8) * 2 * MIB;
                double bytes = base + sawtooth + leaked;
                if (bytes >= LIMIT) {
                    restartCount++;
                    oomKilled = true;
                    leaked = 0;
                    bytes = base + sawtooth;
                    if (pod[1].equals("checkout-0")) {
                        oomKills++;
                    }
                }
                if (pod[2].equals("leaks")) {
                    leaked += 2 * MIB * STEP_SECONDS / 60;
                }
                memory.append(sample("app_memory_bytes", labels, bytes, t));
                restarts.append(sample("kube_pod_container_status_restarts_total", labels + ",container=\"app\"", restartCount, t));
                if (oomKilled) {
                    reason.append(sample("kube_pod_container_status_last_terminated_reason",
                            labels + ",container=\"app\",reason=\"OOMKilled\"", 1, t));
                }
                limits.append(sample("kube_pod_container_resource_limits", labels + ",container=\"app\",resource=\"memory\"", LIMIT, t));
            }
        }
        prometheus = PrometheusServer.start(List.of(), memory.append(restarts).append(reason).append(limits).append("# EOF\n").toString());
    }

    private static String sample(String name, String labels, double value, long seconds) {
        return name + "{" + labels + "} " + String.format(Locale.ROOT, "%.0f", value) + " " + seconds + "\n";
    }

    @AfterAll
    static void stop() {
        if (prometheus != null) {
            prometheus.close();
        }
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path policy() throws Exception {
        return Files.writeString(directory.resolve("policy.yaml"), """
                apiVersion: leakguard.dev/v1alpha1
                kind: LeakPolicy
                metadata: {name: checkout, namespace: shop}
                spec:
                  selector: {matchLabels: {app: checkout}}
                  metrics: {source: prometheus, port: metrics, interval: 15s, memory: app_memory_bytes}
                  detection: {window: 30m, warmup: 5m, horizon: 15m}
                  action: {type: Evict}
                """);
    }

    private String until() {
        return Instant.ofEpochSecond(endSeconds).toString();
    }

    @Test
    void backtestTableScoresTheRealOomKillsAndDrawsOnePicturePerPod() throws Exception {
        assertThat(oomKills).as("the fixture's OOM kills of checkout-0").isEqualTo(2);
        Path plots = directory.resolve("plots");
        CliRun run = run("analyze", "--prometheus-url", prometheus.url(), "--policy", policy().toString(), "--since", "3h",
                "--until", until(), "--plot", plots.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        System.out.println("live backtest table:\n" + run.out());
        assertThat(run.out()).contains("shop/checkout-0").contains("shop/checkout-1").doesNotContain("orders-0")
                .contains("would have prevented 2 of 2 OOM kills; 0 restarts with no OOM kill after them");
        assertThat(plots.resolve("shop_checkout-0.svg")).content().contains("<desc>Memory of ").contains("id=\"oom-kill\"")
                .contains("id=\"action\"");
        assertThat(plots.resolve("shop_checkout-1.svg")).content().contains("No restart would have been triggered");

        CliRun json = run("analyze", "--prometheus-url", prometheus.url(), "--policy", policy().toString(), "--since", "3h",
                "--until", until(), "--output", "json");
        JsonNode answer = new ObjectMapper().readTree(json.out());
        assertThat(answer.get("oomsPrevented").asInt()).isEqualTo(2);
        JsonNode leaking = answer.get("pods").get(0);
        assertThat(leaking.get("pod").asText()).isEqualTo("checkout-0");
        assertThat(leaking.get("memoryLimitBytes").asDouble()).as("from kube-state-metrics").isEqualTo(LIMIT);
        assertThat(leaking.get("samples").asInt()).as("every 15 s sample of three hours").isGreaterThan(700);
        assertThat(answer.get("pods").get(1).get("verdict").asText()).isIn("healthy", "suspect");
        assertThat(answer.get("pods").get(1).get("actionAtSeconds").isNull()).isTrue();
    }

    @Test
    void selectorNarrowsThePods() throws Exception {
        CliRun run = run("analyze", "--prometheus-url", prometheus.url(), "--policy", policy().toString(), "--since", "3h",
                "--until", until(), "--selector", "pod=\"checkout-1\"");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("shop/checkout-1").doesNotContain("checkout-0")
                .contains("would have prevented 0 of 0 OOM kills");
    }

    @Test
    void anUnreachableOrEmptyPrometheusIsOneLineAndExit3() throws Exception {
        CliRun empty = run("analyze", "--prometheus-url", prometheus.url(), "--policy", policy().toString(), "--since", "1h",
                "--until", "2020-01-01T00:00:00Z");
        assertThat(empty.exitCode()).isEqualTo(3);
        assertThat(empty.err().strip()).startsWith("leakguard analyze: no pod in namespace shop has app_memory_bytes").hasLineCount(1);

        CliRun badQuery = run("analyze", "--prometheus-url", prometheus.url(), "--policy", policy().toString(), "--since", "3h",
                "--until", until(), "--selector", "pod=~\"(\"");
        assertThat(badQuery.exitCode()).isEqualTo(3);
        assertThat(badQuery.err()).contains("bad_data");
    }
}
