package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShardPlanTest {

    @Test
    void aPodsShardDependsOnlyOnItsUidAndNeverChangesBetweenVersions() {
        // Fixed answers: a changed hash would move every pod to another replica in the middle of a rollout.
        assertThat(ShardPlan.shardOf("0b1c4e5a-7d2f-4c3e-9a1b-2f3e4d5c6b7a", 3)).isEqualTo(0);
        assertThat(ShardPlan.shardOf("0b1c4e5a-7d2f-4c3e-9a1b-2f3e4d5c6b7b", 6)).isEqualTo(5);
        assertThat(ShardPlan.shardOf("anything", 1)).isZero();
    }

    @Test
    void randomAndSequentialUidsSpreadEvenlyOverTheShards() {
        List<String> random = IntStream.range(0, 6000).mapToObj(i -> UUID.randomUUID().toString()).toList();
        // Sequential UIDs differing only in their last characters, as some API servers and mocks hand out.
        List<String> sequential = IntStream.range(0, 6000).mapToObj(i -> String.format("00000000-0000-0000-0000-%012d", i)).toList();
        for (List<String> uids : List.of(random, sequential)) {
            for (int shards : new int[] {3, 6, 7}) {
                int[] perShard = new int[shards];
                uids.forEach(uid -> perShard[ShardPlan.shardOf(uid, shards)]++);
                int expected = uids.size() / shards;
                assertThat(IntStream.of(perShard).boxed().toList()).as("pods per shard of %d", shards)
                        .allSatisfy(n -> assertThat(n).isBetween((int) (expected * 0.85), (int) (expected * 1.15)));
            }
        }
    }

    @Test
    void fairShareIsTheShardCountDividedByTheLiveReplicasRoundedUp() {
        record Row(int shards, int live, int share) { }
        for (Row row : List.of(new Row(1, 1, 1), new Row(3, 3, 1), new Row(3, 2, 2), new Row(3, 1, 3), new Row(6, 4, 2),
                new Row(6, 5, 2), new Row(6, 7, 1), new Row(6, 0, 6))) {
            assertThat(ShardPlan.fairShare(row.shards, row.live)).as("%s", row).isEqualTo(row.share);
        }
    }

    @Test
    void eachRuleOfTheMovesInOneRow() {
        record Row(String name, int shards, Set<Integer> held, Set<Integer> free, int live, int startAt,
                   List<Integer> acquire, List<Integer> release) { }
        List<Row> rows = List.of(
                new Row("alone: takes every free shard", 3, Set.of(), Set.of(0, 1, 2), 1, 0, List.of(0, 1, 2), List.of()),
                new Row("at its share: no move", 3, Set.of(1), Set.of(0, 2), 3, 0, List.of(), List.of()),
                new Row("above its share: gives back its highest shards", 6, Set.of(0, 2, 4, 5), Set.of(), 3, 0, List.of(), List.of(5, 4)),
                new Row("below its share: takes free shards from its own start, going round", 6, Set.of(), Set.of(0, 1, 4, 5), 3, 4,
                        List.of(4, 5), List.of()),
                new Row("never takes a shard that is not free", 3, Set.of(), Set.of(2), 1, 0, List.of(2), List.of()),
                new Row("a replica dies: the survivors' share grows", 3, Set.of(0), Set.of(2), 2, 0, List.of(2), List.of()));
        for (Row row : rows) {
            ShardPlan.Moves moves = ShardPlan.moves(row.shards, row.held, row.free, row.live, row.startAt);
            assertThat(moves.acquire()).as(row.name + ": acquire").isEqualTo(row.acquire);
            assertThat(moves.release()).as(row.name + ": release").isEqualTo(row.release);
        }
    }

    @Test
    void replicasFollowingTheMovesConvergeOnDisjointFairSharesAndTakeOverADeadOnesShards() {
        int shards = 6;
        Map<Integer, String> holders = new HashMap<>();
        List<String> replicas = new ArrayList<>(List.of("a", "b", "c"));
        // "a" starts alone and takes everything; then b and c join.
        settle(shards, holders, List.of("a"));
        assertThat(holders).hasSize(6).allSatisfy((shard, holder) -> assertThat(holder).isEqualTo("a"));
        settle(shards, holders, replicas);
        assertThat(held(holders, "a")).hasSize(2);
        assertThat(held(holders, "b")).hasSize(2);
        assertThat(held(holders, "c")).hasSize(2);

        // "b" dies: its Leases expire and its shards are free; a and c take them.
        held(holders, "b").forEach(holders::remove);
        replicas.remove("b");
        settle(shards, holders, replicas);
        assertThat(held(holders, "a")).hasSize(3);
        assertThat(held(holders, "c")).hasSize(3);
    }

    /** Rounds of every replica applying its moves to the shared holders (a free shard goes to the first that asks). */
    private static void settle(int shards, Map<Integer, String> holders, List<String> live) {
        for (int round = 0; round < 10; round++) {
            for (String replica : live) {
                Set<Integer> free = new HashSet<>();
                IntStream.range(0, shards).filter(s -> !holders.containsKey(s)).forEach(free::add);
                ShardPlan.Moves moves = ShardPlan.moves(shards, held(holders, replica), free, live.size(), replica.hashCode());
                moves.release().forEach(holders::remove);
                moves.acquire().forEach(s -> holders.put(s, replica));
            }
        }
    }

    private static Set<Integer> held(Map<Integer, String> holders, String replica) {
        Set<Integer> out = new TreeSet<>();
        holders.forEach((shard, holder) -> {
            if (holder.equals(replica)) {
                out.add(shard);
            }
        });
        return out;
    }

    @Test
    void liveReplicasAreThoseWithAHeartbeatYoungerThanTheLease() {
        assertThat(ShardPlan.live(Map.of("a", 10_000L, "b", 4_999L, "c", 5_001L), 20_000, 15_000)).containsExactly("a", "c");
    }
}
