package dev.leakguard.operator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The arithmetic of shards, apart from the Leases that carry it: which shard a pod is in, how many
 * shards one replica should hold, and what a replica should take or give back. Pure functions, so
 * the rules are tested on their own (kube-state-metrics and Prometheus shard the same way: a stable
 * hash of the object modulo the shard count).
 */
public final class ShardPlan {
    private ShardPlan() {
    }

    /**
     * The pod's shard: a hash of its UID's bytes (FNV-1a, then a 64-bit finaliser so that UIDs that
     * differ only in their last characters still spread evenly), modulo {@code shards}. The same on
     * every replica and JVM: it depends on nothing but the UID.
     */
    public static int shardOf(String podUid, int shards) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : podUid.getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        hash = (hash ^ (hash >>> 33)) * 0xff51afd7ed558ccdL;
        hash = (hash ^ (hash >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return (int) Math.floorMod(hash ^ (hash >>> 33), (long) shards);
    }

    /** The most shards one replica should hold: ceil(shards / live replicas); all of them when no replica is known live. */
    static int fairShare(int shards, int liveReplicas) {
        int live = Math.max(1, liveReplicas);
        return (shards + live - 1) / live;
    }

    /** What a replica does this round: shards to take (free ones only) and shards to give back. */
    record Moves(List<Integer> acquire, List<Integer> release) {
        boolean none() {
            return acquire.isEmpty() && release.isEmpty();
        }
    }

    /**
     * A replica holding more than its fair share gives back the surplus (its highest shards, so that
     * replicas agree on which move); one holding fewer takes free shards up to its share, starting at
     * {@code startAt} and going round, so that replicas starting together try different shards first
     * rather than all racing for shard 0.
     */
    static Moves moves(int shards, Set<Integer> held, Set<Integer> free, int liveReplicas, int startAt) {
        int share = fairShare(shards, liveReplicas);
        if (held.size() > share) {
            List<Integer> surplus = held.stream().sorted(Comparator.reverseOrder()).limit(held.size() - share).toList();
            return new Moves(List.of(), surplus);
        }
        List<Integer> take = new ArrayList<>();
        for (int i = 0; i < shards && held.size() + take.size() < share; i++) {
            int shard = Math.floorMod(startAt + i, shards);
            if (free.contains(shard) && !held.contains(shard)) {
                take.add(shard);
            }
        }
        return new Moves(List.copyOf(take), List.of());
    }

    /** Replicas whose last heartbeat (on their own clock, in milliseconds) is younger than {@code leaseMillis}. */
    static Set<String> live(Map<String, Long> heartbeats, long nowMillis, long leaseMillis) {
        Set<String> live = new TreeSet<>();
        heartbeats.forEach((replica, at) -> {
            if (nowMillis - at < leaseMillis) {
                live.add(replica);
            }
        });
        return live;
    }

    /** The Lease of one shard; the shard count is in the name so that replicas run with different counts never share one. */
    public static String leaseName(int shard, int shards) {
        return "leakguard-shard-" + shard + "-of-" + shards;
    }

    /** The one Lease whose annotation lists the replicas taking part and their last heartbeats. */
    static String replicasLeaseName(int shards) {
        return "leakguard-replicas-of-" + shards;
    }
}
