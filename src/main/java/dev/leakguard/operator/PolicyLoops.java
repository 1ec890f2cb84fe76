package dev.leakguard.operator;

import dev.leakguard.api.LeakPolicy;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

/** The running scrape loops of one policy, keyed by pod. */
final class PolicyLoops {
    volatile ResolvedPolicy policy;
    volatile LeakPolicy resource;
    final Map<PodKey, Loop> loops = new ConcurrentHashMap<>();

    PolicyLoops(ResolvedPolicy policy, LeakPolicy resource) {
        this.policy = policy;
        this.resource = resource;
    }

    /** A pod's loop; {@code future} completes with the periodic task once the backfill is done. */
    record Loop(PodState state, CompletableFuture<ScheduledFuture<?>> future) {
        void cancel() {
            if (!future.cancel(false)) {
                future.join().cancel(false);
            }
        }
    }
}
