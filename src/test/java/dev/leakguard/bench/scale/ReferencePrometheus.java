package dev.leakguard.bench.scale;

import dev.leakguard.testing.ExternalTool;
import dev.leakguard.scrape.parse.ExtractedValues;
import dev.leakguard.scrape.parse.MetricsParseException;
import dev.leakguard.scrape.parse.PrometheusTextParser;
import dev.leakguard.scrape.parse.SeriesSelector;
import dev.leakguard.testing.PrometheusServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The benchmark's reference: a real Prometheus on 127.0.0.1 scraping the same endpoints at the same
 * interval as leakguard. Its metric relabelling keeps only the two series leakguard reads, so both
 * store the same data; Prometheus still parses the whole body, as leakguard does.
 */
final class ReferencePrometheus implements AutoCloseable {
    static final String BINARY = "prometheus";
    private static final SeriesSelector SCRAPES = SeriesSelector.parse("prometheus_target_interval_length_seconds_count{interval=\"15s\"}");
    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[^,]+,\"([^\"]+)\"\\]");

    private final Path executable;
    private final PrometheusServer server;

    private ReferencePrometheus(Path executable, PrometheusServer server) {
        this.executable = executable;
        this.server = server;
    }

    /** Empty when Prometheus is not installed. */
    static Optional<ReferencePrometheus> start(List<String> targets, Duration interval) {
        Optional<Path> executable = ExternalTool.onPath(BINARY);
        if (executable.isEmpty()) {
            return Optional.empty();
        }
        String targetsJson = "[{\"targets\": [" + targets.stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(",")) + "]}]\n";
        String config = """
                global:
                  scrape_interval: %ds
                  scrape_timeout: 10s
                scrape_configs:
                  - job_name: fleet
                    file_sd_configs:
                      - files: [targets.json]
                    metric_relabel_configs:
                      - source_labels: [__name__, id]
                        regex: 'process_resident_memory_bytes;|go_goroutines;|jvm_memory_used_bytes;G1 Old Gen|jvm_threads_live_threads;'
                        action: keep
                """.formatted(interval.toSeconds());
        return Optional.of(new ReferencePrometheus(executable.get(),
                PrometheusServer.start(executable.get(), config, Map.of("targets.json", targetsJson))));
    }

    long pid() {
        return server.pid();
    }

    String version() {
        try {
            Process version = new ProcessBuilder(executable.toString(), "--version").redirectErrorStream(true).start();
            String firstLine = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
            version.waitFor();
            return firstLine;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /** The value of an instant PromQL query that returns one sample, or NaN. */
    double query(String promQl) {
        try {
            Matcher value = VALUE.matcher(server.query(promQl));
            return value.find() ? Double.parseDouble(value.group(1)) : Double.NaN;
        } catch (UncheckedIOException e) {
            return Double.NaN;
        }
    }

    /**
     * Scrapes Prometheus has run so far: the count of its own scrape-interval summary, read from its
     * /metrics with leakguard's parser.
     */
    double scrapesSoFar() {
        try {
            byte[] body = server.get("/metrics").body().getBytes(StandardCharsets.UTF_8);
            ExtractedValues values = PrometheusTextParser.extract(body, body.length, List.of(SCRAPES));
            return values.found(0) ? values.value(0) : Double.NaN;
        } catch (UncheckedIOException | MetricsParseException e) {
            return Double.NaN;
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
