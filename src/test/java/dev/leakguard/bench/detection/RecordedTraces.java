package dev.leakguard.bench.detection;

import dev.leakguard.cli.TraceCsv;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Traces recorded from real programs ({@code src/test/resources/traces}, see the recording
 * scripts in {@code src/test/go} and {@code src/test/scripts}). They were sampled once per second;
 * the benchmark stretches time by {@value #TIME_SCALE} so each sample stands for a 15 s scrape.
 * The limit is set from the recording: for a leak just under its highest value (so the limit is
 * reached near the end), for a healthy program 10 % above its highest value.
 */
final class RecordedTraces {

    static final double TIME_SCALE = 15;
    static final String FAMILY = "recorded";

    private record Recording(String file, boolean leaks) {
    }

    private static final List<Recording> RECORDINGS = List.of(
            new Recording("go-redis-client-per-request.csv", true),
            new Recording("go-redis-shared-client.csv", false),
            new Recording("jvm-executor-per-request.csv", true),
            new Recording("jvm-shared-executor.csv", false));

    private RecordedTraces() {
    }

    static List<Trace> load() {
        List<Trace> traces = new ArrayList<>();
        for (Recording recording : RECORDINGS) {
            traces.add(load(recording));
        }
        return traces;
    }

    private static Trace load(Recording recording) {
        TraceCsv.Series series;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                RecordedTraces.class.getResourceAsStream("/traces/" + recording.file()), StandardCharsets.UTF_8))) {
            series = TraceCsv.read(reader, TraceCsv.MEMORY_COLUMN, TraceCsv.THREADS_COLUMN, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (TraceCsv.FormatException e) {
            throw new IllegalStateException(recording.file() + ": " + e.getMessage(), e);
        }
        int n = series.size();
        long[] t = new long[n];
        for (int k = 0; k < n; k++) {
            t[k] = Math.round((series.timestampSeconds()[k] - series.timestampSeconds()[0]) * 1000 * TIME_SCALE);
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
