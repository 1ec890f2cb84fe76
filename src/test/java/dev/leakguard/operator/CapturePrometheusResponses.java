package dev.leakguard.operator;

import dev.leakguard.policy.PrometheusUrlAllowList;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.PrometheusServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Captures what a real Prometheus answers to leakguard's queries, as parser fixtures: it starts
 * {@code prometheus} with ten minutes of a leaking pod preloaded, a pod whose series ended a minute
 * before start, and a live target, then saves the JSON of the queries {@link PrometheusSampleSource}
 * sends (and of a rejected one), each beside a {@code .request.txt} naming the request and its HTTP status.
 *
 * <p>Run with {@code mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.operator.CapturePrometheusResponses
 * -Dbench.args=src/test/resources/fixtures/prometheus-api}.
 */
public final class CapturePrometheusResponses {
    static final String NS = "shop";

    public static void main(String[] args) throws IOException {
        Path outputDir = Path.of(args.length > 0 ? args[0] : ".");
        long now = System.currentTimeMillis();
        try (LeakingEndpoint endpoint = new LeakingEndpoint(now - Duration.ofMinutes(15).toMillis(), 120_000_000, 200_000, 0.5)) {
            PrometheusServer.Target live = new PrometheusServer.Target("checkout", endpoint.address(), Map.of("namespace", NS, "pod", "checkout-0"));
            PrometheusServer.Target gone = new PrometheusServer.Target("checkout", "127.0.0.1:1", Map.of("namespace", NS, "pod", "checkout-gone"));
            String history = endpoint.history(now - Duration.ofMinutes(10).toMillis(), now - 1000, 1000, live.seriesLabels());
            String goneHistory = endpoint.history(now - Duration.ofMinutes(3).toMillis(), now - 60_000, 1000, gone.seriesLabels());
            try (PrometheusServer prometheus = PrometheusServer.start(List.of(live), merge(history, goneHistory))) {
                prometheus.awaitSeries("timestamp(" + LeakingEndpoint.MEMORY + "{pod=\"checkout-0\",area=\"heap\"}) > " + now / 1000,
                        Duration.ofSeconds(30));
                ResolvedPolicy withThreads = policy(prometheus, "app_memory_bytes", "go_goroutines");
                ResolvedPolicy memoryOnly = policy(prometheus, "app_memory_bytes", null);
                PrometheusPodLabels labels = PrometheusPodLabels.defaults();
                long end = System.currentTimeMillis();

                save(outputDir, "instant-memory-threads.json", prometheus, "query",
                        Map.of("query", PodSeriesQuery.promql(withThreads, new PodKey(NS, "checkout-0"), labels)));
                save(outputDir, "instant-no-series.json", prometheus, "query",
                        Map.of("query", PodSeriesQuery.promql(withThreads, new PodKey(NS, "checkout-missing"), labels)));
                save(outputDir, "instant-stale.json", prometheus, "query",
                        Map.of("query", PodSeriesQuery.promql(memoryOnly, new PodKey(NS, "checkout-gone"), labels)));
                Map<String, String> range = new LinkedHashMap<>();
                range.put("query", PodSeriesQuery.promql(withThreads, new PodKey(NS, "checkout-0"), labels));
                range.put("start", PrometheusSampleSource.seconds(end - Duration.ofMinutes(10).toMillis()));
                range.put("end", PrometheusSampleSource.seconds(end));
                range.put("step", "5");
                save(outputDir, "range-memory-threads.json", prometheus, "query_range", range);
                save(outputDir, "error-bad-regex.json", prometheus, "query",
                        Map.of("query", PodSeriesQuery.promql(policy(prometheus, "app_memory_bytes{area=~\"(?=heap)\"}", null),
                                new PodKey(NS, "checkout-0"), labels)));
                save(outputDir, "instant-raw-series.json", prometheus, "query",
                        Map.of("query", "app_memory_bytes{pod=\"checkout-0\"}"));
            }
        }
    }

    /** Both histories in one OpenMetrics text: each family's lines together, one {@code # EOF}. */
    private static String merge(String first, String second) {
        StringBuilder merged = new StringBuilder();
        for (String family : List.of(LeakingEndpoint.MEMORY, LeakingEndpoint.THREADS)) {
            merged.append("# TYPE ").append(family).append(" gauge\n");
            for (String text : List.of(first, second)) {
                text.lines().filter(line -> line.startsWith(family + "{")).forEach(line -> merged.append(line).append('\n'));
            }
        }
        return merged.append("# EOF\n").toString();
    }

    private static ResolvedPolicy policy(PrometheusServer prometheus, String memory, String threads) {
        String yaml = """
                apiVersion: leakguard.dev/v1alpha1
                kind: LeakPolicy
                metadata: {name: capture, namespace: shop}
                spec:
                  selector: {matchLabels: {app: checkout}}
                  metrics: {source: prometheus, port: metrics, interval: 5s, memory: '%s'%s}
                  detection: {window: 10m, horizon: 5m}
                """.formatted(memory.replace("'", "''"), threads == null ? "" : ", threads: " + threads);
        PolicyResolver.Result result = new PolicyResolver(PrometheusUrlAllowList.of(prometheus.url(), List.of())).resolve(Serialization.unmarshal(yaml, LeakPolicy.class));
        return ((PolicyResolver.Valid) result).policy();
    }

    private static void save(Path dir, String name, PrometheusServer prometheus, String endpoint, Map<String, String> parameters)
            throws IOException {
        URI uri = PrometheusSampleSource.apiUri(prometheus.url(), endpoint, parameters);
        HttpResponse<String> response = prometheus.get(uri.getRawPath() + "?" + uri.getRawQuery());
        Files.writeString(dir.resolve(name), response.body() + "\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(name.replace(".json", ".request.txt")),
                "HTTP " + response.statusCode() + " for GET /api/v1/" + endpoint + "\n" + String.join("\n",
                        parameters.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()) + "\n",
                StandardCharsets.UTF_8);
    }
}
