package dev.leakguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus (Debian's {@code prometheus} package) on 127.0.0.1 for tests: a free port, a
 * temporary TSDB, a static scrape config at a 1 s interval, optionally preloaded with history
 * through {@code promtool tsdb create-blocks-from openmetrics} so that minutes of past samples exist
 * the moment it starts. Without the binary the test is skipped with the install hint (and fails in
 * CI, see {@link ExternalTool}). Closing it stops the process and deletes the directory.
 */
public final class PrometheusServer implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private final Path directory;
    private final Process process;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

    /** One static scrape target: {@code host:port}, scraped as job {@code job} with extra target labels. */
    public record Target(String job, String address, Map<String, String> labels) {
        /** The labels Prometheus gives every series of this target, as they appear in a series selector. */
        public String seriesLabels() {
            Map<String, String> all = new TreeMap<>(labels);
            all.put("job", job);
            all.put("instance", address);
            StringBuilder out = new StringBuilder();
            all.forEach((name, value) -> out.append(out.length() == 0 ? "" : ",").append(name).append("=\"").append(value).append('"'));
            return out.toString();
        }
    }

    private PrometheusServer(Path directory, Process process, int port) {
        this.directory = directory;
        this.process = process;
        this.port = port;
    }

    public static PrometheusServer start(List<Target> targets) {
        return start(targets, null);
    }

    /** {@code history}: OpenMetrics text with timestamps (ending in {@code # EOF}) turned into TSDB blocks before start. */
    public static PrometheusServer start(List<Target> targets, String history) {
        Path prometheus = ExternalTool.prometheus().executable();
        return launch(prometheus, config(targets), Map.of(), data -> {
            if (history != null) {
                Path input = data.getParent().resolve("history.om.txt");
                Files.writeString(input, history, StandardCharsets.UTF_8);
                ExternalTool.Result created = ExternalTool.promtool().run(data.getParent(), "tsdb", "create-blocks-from", "openmetrics",
                        input.toString(), data.toString());
                if (created.exitCode() != 0) {
                    throw new IllegalStateException("promtool could not create blocks: " + created.output());
                }
            }
        });
    }

    /**
     * Prometheus {@code executable} with the configuration {@code configYaml} and, next to it, the
     * files {@code extraFiles} (name to content) that the configuration refers to, such as
     * {@code file_sd} target lists.
     */
    public static PrometheusServer start(Path executable, String configYaml, Map<String, String> extraFiles) {
        return launch(executable, configYaml, extraFiles, data -> { });
    }

    private interface DataPreparation {
        void prepare(Path data) throws IOException;
    }

    private static PrometheusServer launch(Path executable, String configYaml, Map<String, String> extraFiles, DataPreparation preparation) {
        Path directory = null;
        try {
            directory = Files.createTempDirectory("leakguard-prometheus");
            Path data = Files.createDirectory(directory.resolve("data"));
            preparation.prepare(data);
            for (Map.Entry<String, String> file : extraFiles.entrySet()) {
                Files.writeString(directory.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
            }
            Path config = directory.resolve("prometheus.yml");
            Files.writeString(config, configYaml, StandardCharsets.UTF_8);
            int port = freePort();
            Process process = new ProcessBuilder(executable.toString(),
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + data,
                    "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn")
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(directory.resolve("prometheus.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            PrometheusServer server = new PrometheusServer(directory, process, port);
            server.awaitReady();
            return server;
        } catch (IOException e) {
            deleteQuietly(directory);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(directory);
            throw e;
        }
    }

    /** The server's process id, to read its CPU time and memory from /proc. */
    public long pid() {
        return process.pid();
    }

    /** e.g. http://127.0.0.1:41234, the base URL of the HTTP API. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Runs an instant query and answers the raw JSON. */
    public String query(String promql) {
        return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).body();
    }

    /** Waits until Prometheus has a sample for {@code promql}, i.e. it has scraped the target at least once. */
    public void awaitSeries(String promql, Duration timeout) {
        Poll.until(timeout, () -> query(promql), body -> body.contains("\"result\":[{"), "Prometheus to have " + promql);
    }

    public HttpResponse<String> get(String pathAndQuery) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url() + pathAndQuery)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String log = log();
                close();
                throw new IllegalStateException("prometheus exited with " + process.exitValue() + ":\n" + log);
            }
            try {
                if (get("/-/ready").statusCode() == 200) {
                    return;
                }
            } catch (UncheckedIOException notListeningYet) {
                // Keep polling until the deadline.
            }
            sleep(100);
        }
        String log = log();
        close();
        throw new IllegalStateException("prometheus was not ready within " + READY_TIMEOUT + ":\n" + log);
    }

    /** What Prometheus logged so far, for failure messages. */
    public String log() {
        try {
            return Files.readString(directory.resolve("prometheus.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteQuietly(directory);
    }

    private static String config(List<Target> targets) {
        StringBuilder yaml = new StringBuilder("""
                global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
                scrape_configs:
                """);
        Map<String, List<Target>> byJob = new TreeMap<>();
        targets.forEach(t -> byJob.computeIfAbsent(t.job(), j -> new ArrayList<>()).add(t));
        byJob.forEach((job, jobTargets) -> {
            yaml.append("  - job_name: ").append(quoted(job)).append("\n    static_configs:\n");
            for (Target t : jobTargets) {
                yaml.append("      - targets: [").append(quoted(t.address())).append("]\n        labels: {");
                List<String> pairs = new ArrayList<>();
                new TreeMap<>(t.labels()).forEach((k, v) -> pairs.add(k + ": " + quoted(v)));
                yaml.append(String.join(", ", pairs)).append("}\n");
            }
        });
        return yaml.toString();
    }

    private static String quoted(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path directory) {
        if (directory == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Leaves a temporary directory behind; nothing else to do about it.
        }
    }
}
