package dev.leakguard.operator;

import java.util.concurrent.CompletableFuture;

/** Where a pod's samples come from: the pod itself, or a Prometheus that already scrapes it. */
interface SampleSource {
    /** Never completes exceptionally: every failure is a {@link Reading.Failed}. */
    CompletableFuture<Reading> read(ResolvedPolicy policy, ScrapeTarget target, long nowMillis);
}
