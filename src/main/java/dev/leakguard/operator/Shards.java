package dev.leakguard.operator;

/**
 * Which pods this replica scrapes and acts on. With one shard (the default) that is every pod, as
 * before sharding existed; with more, the shards this replica holds a Lease for ({@link ShardLeases}).
 */
interface Shards {
    /** How many shards the pods are split into. */
    int count();

    /** Whether this replica holds the shard now. */
    boolean holds(int shard);

    /**
     * Which taking of the shard this is: a number that changes every time this replica takes the shard (again), so
     * that what is read once per taking (the saved samples) is read again after the shard was away.
     */
    default long tenure(int shard) {
        return 0;
    }

    default int shardOf(String podUid) {
        return ShardPlan.shardOf(podUid, count());
    }

    default boolean holdsPod(String podUid) {
        return holds(shardOf(podUid));
    }

    /**
     * Which replica writes a policy's status: the holder of the shard its UID hashes to, so that
     * two replicas never write one status (the holder counts the other shards' pods from the
     * verdicts their holders annotate them with).
     */
    default boolean writesStatusOf(String policyUid) {
        return holds(ShardPlan.shardOf(policyUid, count()));
    }

    /**
     * Distinguishes the shard's saved samples from the other shards' in the policy's journal; empty
     * with one shard, so that an unsharded operator reads and writes what it always did.
     */
    default String journalPart(int shard) {
        return count() == 1 ? "" : "-" + shard + "-of-" + count();
    }

    /** One shard, always held: the whole cluster. */
    Shards ALL = new Shards() {
        @Override
        public int count() {
            return 1;
        }

        @Override
        public boolean holds(int shard) {
            return true;
        }

        // Asked on every scrape: with one shard there is nothing to hash.
        @Override
        public int shardOf(String podUid) {
            return 0;
        }
    };
}
