package dev.leakguard.bench.detection;

import dev.leakguard.cli.TraceCsv;
import dev.leakguard.trend.DetectionSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Traces recorded from real programs ({@code src/test/resources/traces}, see the recording
 * scripts in {@code src/test/go} and {@code src/test/scripts}), sampled once per second. They are
 * replayed in real time, as an operator scraping every second would see them, each with its own
 * settings: a recording lasts 12–15 minutes, so the benchmark's 30 m window and 15 m horizon
 * would never fill. The limit is set from the recording: for a leak just under its highest value
 * (so the limit is reached near the end), for a healthy program 10 % above its highest value.
 */
final class RecordedTraces {

    static final String FAMILY = "recorded";

    /**
     * 1 s scrapes, a 5 m window and a 3 m horizon (a quarter of a recording); 1 m warm-up for a JVM,
     * whose RSS climbs for its first minute while the JIT compiles and the heap is committed.
     */
    private static final DetectionSettings JVM = shortWindow(Duration.ofMinutes(1));
    /**
     * The same with 20 s warm-up for a Go, Python or Node.js process, at its working size within
     * seconds (Node's RSS jumps ~50 → ~58 MiB in its first 5 s, then its healthy twin creeps under a
     * 5-minute GC cycle: a rise a longer warm-up would not hide either).
     */
    private static final DetectionSettings QUICK_START = shortWindow(Duration.ofSeconds(20));

    record Recording(String file, boolean leaks, DetectionSettings settings) {
    }

    private static final List<Recording> RECORDINGS = List.of(
            new Recording("go-redis-client-per-request.csv", true, QUICK_START),
            new Recording("go-redis-shared-client.csv", false, QUICK_START),
            new Recording("jvm-executor-per-request.csv", true, JVM),
            new Recording("jvm-shared-executor.csv", false, JVM),
            new Recording("jvm-direct-buffer-per-request.csv", true, JVM),
            new Recording("jvm-direct-buffer-pool.csv", false, JVM),
            new Recording("go-session-map-unbounded.csv", true, QUICK_START),
            new Recording("go-session-map-bounded.csv", false, QUICK_START),
            new Recording("python-lru-cache-unbounded.csv", true, QUICK_START),
            new Recording("python-lru-cache-bounded.csv", false, QUICK_START),
            new Recording("node-listener-per-request.csv", true, QUICK_START),
            new Recording("node-listener-removed.csv", false, QUICK_START));

    private RecordedTraces() {
    }

    private static DetectionSettings shortWindow(Duration warmup) {
        return new DetectionSettings(Duration.ofMinutes(5), warmup, Duration.ofMinutes(3), Duration.ofSeconds(1), Double.NaN);
    }

    static List<Recording> recordings() {
        return RECORDINGS;
    }

    static List<DetectionBenchmark.Case> load() {
        List<DetectionBenchmark.Case> cases = new ArrayList<>();
        for (Recording recording : RECORDINGS) {
            cases.add(new DetectionBenchmark.Case(load(recording), recording.settings()));
        }
        return cases;
    }

    /** The whole recording, as sampled (the benchmark's trace ends where the limit is reached). */
    static TraceCsv.Series series(Recording recording) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                RecordedTraces.class.getResourceAsStream("/traces/" + recording.file()), StandardCharsets.UTF_8))) {
            return TraceCsv.read(reader, TraceCsv.MEMORY_COLUMN, TraceCsv.THREADS_COLUMN, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (TraceCsv.FormatException e) {
            throw new IllegalStateException(recording.file() + ": " + e.getMessage(), e);
        }
    }

    static Trace load(Recording recording) {
        TraceCsv.Series series = series(recording);
        int n = series.size();
        long[] t = new long[n];
        for (int k = 0; k < n; k++) {
            t[k] = Math.round((series.timestampSeconds()[k] - series.timestampSeconds()[0]) * 1000);
        }
        double highest = Arrays.stream(series.memoryBytes()).max().orElseThrow();
        double limit = recording.leaks() ? highest * 0.98 : highest * 1.1;
        int reached = -1;
        for (int k = 0; k < n && recording.leaks(); k++) {
            if (series.memoryBytes()[k] >= limit) {
                reached = k;
                break;
            }
        }
        int end = reached >= 0 ? reached : n;
        long[] starts = new long[end];
        int[] restarts = new int[end];
        String name = recording.file().replace(".csv", "");
        return new Trace(FAMILY, name, Arrays.copyOf(t, end), Arrays.copyOf(series.memoryBytes(), end),
                Arrays.copyOf(series.threads(), end), starts, restarts, limit,
                reached >= 0 ? t[reached] : -1, reached >= 0 ? 0 : -1, 0);
    }
}
