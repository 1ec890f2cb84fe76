package dev.leakguard.operator;

import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PodSamples;
import dev.leakguard.engine.PodState;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.ResolvedPolicy;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

/** The running scrape loops of one policy, keyed by pod, and the policy as last resolved. */
final class PolicyLoops {
    private volatile ResolvedPolicy policy;
    private final Map<PodKey, Loop> byPod = new ConcurrentHashMap<>();
    /** Samples an earlier holder of the pods saved, each handed to its pod's first loop only. */
    private final Map<PodKey, PodSamples> saved = new ConcurrentHashMap<>();
    /** Per shard, the taking ({@link Shards#tenure}) whose saved samples were read: read once per taking. */
    private final Map<Integer, Long> restoredTenures = new ConcurrentHashMap<>();

    PolicyLoops(ResolvedPolicy policy) {
        this.policy = policy;
    }

    boolean restored(int shard, long tenure) {
        return restoredTenures.getOrDefault(shard, -1L) == tenure;
    }

    void restored(int shard, long tenure, Map<PodKey, PodSamples> samples) {
        saved.putAll(samples);
        restoredTenures.put(shard, tenure);
    }

    /** The pod's saved samples, once; null when none were saved or they were taken already. */
    PodSamples takeSaved(PodKey pod) {
        return saved.remove(pod);
    }

    List<PodState> states() {
        return byPod.values().stream().map(Loop::state).toList();
    }

    /** A pod's loop; {@code future} completes with the periodic task once the backfill is done. */
    record Loop(PodState state, CompletableFuture<ScheduledFuture<?>> future) {
        void cancel() {
            if (!future.cancel(false)) {
                future.join().cancel(false);
            }
        }
    }

    ResolvedPolicy policy() {
        return policy;
    }

    void policy(ResolvedPolicy resolved) {
        policy = resolved;
    }

    Loop get(PodKey pod) {
        return byPod.get(pod);
    }

    void put(PodKey pod, Loop loop) {
        byPod.put(pod, loop);
    }

    Loop remove(PodKey pod) {
        return byPod.remove(pod);
    }

    boolean watches(PodKey pod) {
        return byPod.containsKey(pod);
    }

    Set<PodKey> pods() {
        return Set.copyOf(byPod.keySet());
    }

    List<PodView> views() {
        return byPod.values().stream().map(l -> l.state().view()).toList();
    }
}
