package dev.leakguard.engine;

import dev.leakguard.trend.Sample;
import java.util.List;

/**
 * The recent samples of one watched pod, as kept across a leader change: which pod and which of its
 * container instances (start time and restart count, as the samples carry them) they belong to.
 * {@code memoryLimitBytes} (NaN when unknown) only ranks pods when not all of them fit; it is not saved.
 */
public record PodSamples(PodKey pod, String podUid, long containerStartMillis, int restartCount, double memoryLimitBytes,
                         List<Sample> samples) {
    public PodSamples {
        samples = List.copyOf(samples);
    }

    /** How close the last sample is to the limit: 0 when unknown, so pods without a limit are dropped first. */
    double fillOfLimit() {
        if (samples.isEmpty() || !(memoryLimitBytes > 0)) {
            return 0;
        }
        return samples.get(samples.size() - 1).memoryBytes() / memoryLimitBytes;
    }

    /** Whether {@code sample} comes from this record's container instance (a start time within a second counts as the same). */
    boolean sameInstance(long startMillis, int restarts) {
        return restarts == restartCount && Math.abs(startMillis - containerStartMillis) <= 1_000;
    }
}
