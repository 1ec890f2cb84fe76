package dev.leakguard.bench.scale;

import dev.leakguard.scrape.parse.ExtractedValues;
import dev.leakguard.scrape.parse.MetricsParseException;
import dev.leakguard.scrape.parse.PrometheusTextParser;
import dev.leakguard.scrape.parse.SeriesSelector;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real Prometheus (the Debian package's /usr/bin/prometheus) on 127.0.0.1 with a throw-away
 * TSDB, scraping the same endpoints at the same interval as leakguard. Its metric relabelling keeps
 * only the two series leakguard reads, so both store the same data; Prometheus still parses the
 * whole body, as leakguard does.
 */
final class PrometheusServer implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/prometheus");
    private static final SeriesSelector SCRAPES = SeriesSelector.parse("prometheus_target_interval_length_seconds_count{interval=\"15s\"}");
    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[^,]+,\"([^\"]+)\"\\]");

    private final Process process;
    private final String url;

    private PrometheusServer(Process process, String url) {
        this.process = process;
        this.url = url;
    }

    /** Empty when Prometheus is not installed. */
    static Optional<PrometheusServer> start(Path workDir, List<String> targets, Duration interval) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            return Optional.empty();
        }
        Files.createDirectories(workDir);
        Files.writeString(workDir.resolve("targets.json"), "[{\"targets\": ["
                + targets.stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(",")) + "]}]\n");
        long seconds = interval.toSeconds();
        Files.writeString(workDir.resolve("prometheus.yml"), """
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
                """.formatted(seconds));
        int port = freePort();
        Process process = new ProcessBuilder(BINARY.toString(),
                "--config.file=" + workDir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + workDir.resolve("data"),
                "--storage.tsdb.retention.time=2h",
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("prometheus.log").toFile())
                .start();
        PrometheusServer server = new PrometheusServer(process, "http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!server.ready()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IllegalStateException("Prometheus did not become ready; see " + workDir.resolve("prometheus.log"));
            }
            Thread.sleep(250);
        }
        return Optional.of(server);
    }

    long pid() {
        return process.pid();
    }

    String version() throws IOException, InterruptedException {
        Process version = new ProcessBuilder(BINARY.toString(), "--version").redirectErrorStream(true).start();
        String firstLine = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
        version.waitFor();
        return firstLine;
    }

    /** The value of an instant PromQL query that returns one sample, or NaN. */
    double query(String promQl) {
        try {
            String body = get("/api/v1/query?query=" + URLEncoder.encode(promQl, StandardCharsets.UTF_8));
            Matcher value = VALUE.matcher(body);
            return value.find() ? Double.parseDouble(value.group(1)) : Double.NaN;
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /**
     * Scrapes Prometheus has run so far: the count of its own scrape-interval summary, read from its
     * /metrics with leakguard's parser.
     */
    double scrapesSoFar() {
        try {
            byte[] body = get("/metrics").getBytes(StandardCharsets.UTF_8);
            ExtractedValues values = PrometheusTextParser.extract(body, body.length, List.of(SCRAPES));
            return values.found(0) ? values.value(0) : Double.NaN;
        } catch (IOException | MetricsParseException e) {
            return Double.NaN;
        }
    }

    private boolean ready() {
        try {
            get("/-/ready");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String get(String path) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create(url + path).toURL().openConnection();
        connection.setConnectTimeout(2000);
        connection.setReadTimeout(10_000);
        try (InputStream in = connection.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            connection.disconnect();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
