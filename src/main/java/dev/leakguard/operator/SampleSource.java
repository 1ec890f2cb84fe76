package dev.leakguard.operator;

import dev.leakguard.engine.Reading;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.trend.Sample;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Where a pod's samples come from: the pod itself, or a Prometheus that already scrapes it. */
interface SampleSource {
    /** Never completes exceptionally: every failure is a {@link Reading.Failed}. */
    CompletableFuture<Reading> read(ResolvedPolicy policy, ScrapeTarget target, long nowMillis);

    /**
     * Samples from before this loop started, oldest first, so that a restarted operator decides at
     * once instead of re-learning a window. A pod's own endpoint has no history; a Prometheus does.
     * Never completes exceptionally: a source that cannot backfill answers an empty list.
     */
    default CompletableFuture<List<Sample>> history(ResolvedPolicy policy, ScrapeTarget target, long nowMillis) {
        return CompletableFuture.completedFuture(List.of());
    }
}
