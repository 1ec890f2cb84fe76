package dev.leakguard.decide;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorLedgerTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long MINUTE = Duration.ofMinutes(1).toMillis();

    @Test
    void aSlotIsTakenWhileTheOtherStartsOfTheLastHourAreBelowTheCap() {
        OperatorLedger ledger = new OperatorLedger(List.of(start("a", "p1", NOW - 10 * MINUTE), start("b", "p2", NOW - 5 * MINUTE)));

        OperatorLedger.Reservation third = ledger.reserve(start("c", "p3", NOW), 3);
        OperatorLedger.Reservation fourth = third.ledger().reserve(start("d", "p4", NOW), 3);

        assertThat(third.reserved()).isTrue();
        assertThat(third.ledger().startedSince(NOW - 60 * MINUTE, false)).isEqualTo(3);
        assertThat(fourth.reserved()).isFalse();
        assertThat(fourth.refusal().blockedBy()).isEqualTo(BlockRule.OPERATOR_BUDGET);
        assertThat(fourth.refusal().message()).isEqualTo("3 restart(s) operator-wide in the last hour, the operator cap is 3");
        assertThat(fourth.ledger()).as("a refusal changes nothing").isEqualTo(third.ledger());
    }

    @Test
    void startsOlderThanAnHourNeitherCountNorStay() {
        OperatorLedger ledger = new OperatorLedger(List.of(start("a", "old", NOW - 61 * MINUTE), start("a", "recent", NOW - 59 * MINUTE)));

        OperatorLedger.Reservation next = ledger.reserve(start("b", "p", NOW), 2);

        assertThat(next.reserved()).isTrue();
        assertThat(next.ledger().starts()).extracting(OperatorLedger.Start::podUid).containsExactly("recent", "p");
    }

    @Test
    void dryRunsAndRestartsHaveSeparateCaps() {
        OperatorLedger full = new OperatorLedger(List.of(start("a", "p1", NOW)));

        assertThat(full.reserve(start("b", "p2", NOW), 1).reserved()).isFalse();
        assertThat(full.reserve(new OperatorLedger.Start("b", "p2", NOW, true), 1).reserved()).isTrue();
    }

    @Test
    void aStartAlreadyHeldKeepsItsOneSlotAndAGivenBackSlotIsFreeAgain() {
        OperatorLedger.Start mine = start("a", "p1", NOW);
        OperatorLedger seeded = new OperatorLedger(List.of(start("b", "p0", NOW - MINUTE), mine));

        OperatorLedger.Reservation again = seeded.reserve(mine, 2);
        assertThat(again.reserved()).isTrue();
        assertThat(again.ledger().starts()).containsExactly(start("b", "p0", NOW - MINUTE), mine);
        assertThat(seeded.reserve(mine, 1).reserved()).as("the other start already fills a cap of 1").isFalse();
        assertThat(seeded.reserve(mine, 1).ledger().starts()).doesNotContain(mine);

        OperatorLedger released = again.ledger().without(mine);
        assertThat(released.starts()).containsExactly(start("b", "p0", NOW - MINUTE));
        assertThat(released.without(mine)).isSameAs(released);
        assertThat(released.reserve(start("c", "p9", NOW), 2).reserved()).isTrue();
    }

    @Test
    void theFirstLedgerHoldsTheLastHourOfEveryKnownPolicyLedger() {
        RestartLedger web = RestartLedger.EMPTY
                .withRestart(entry("web-0", "u0", NOW - 90 * MINUTE, false), NOW - 90 * MINUTE, Duration.ofHours(3))
                .withRestart(entry("web-1", "u1", NOW - 30 * MINUTE, false), NOW - 30 * MINUTE, Duration.ofHours(3));
        RestartLedger db = RestartLedger.EMPTY.withRestart(entry("db-0", "u2", NOW - MINUTE, true), NOW - MINUTE, Duration.ofHours(1));

        OperatorLedger first = OperatorLedger.startingFrom(Map.of("web-uid", web, "db-uid", db), NOW);

        assertThat(first.starts()).containsExactlyInAnyOrder(start("web-uid", "u1", NOW - 30 * MINUTE),
                new OperatorLedger.Start("db-uid", "u2", NOW - MINUTE, true));
    }

    @Test
    void theOperatorBudgetRuleBlocksAtTheCapAndNotBelow() {
        assertThat(RestartRules.operatorBudget(4, 5)).isNull();
        assertThat(RestartRules.operatorBudget(5, 5).blockedBy()).isEqualTo(BlockRule.OPERATOR_BUDGET);
        assertThat(RestartRules.operatorBudget(0, 0).blockedBy()).as("a cap of 0 allows nothing").isEqualTo(BlockRule.OPERATOR_BUDGET);
    }

    private static OperatorLedger.Start start(String policy, String pod, long at) {
        return new OperatorLedger.Start(policy, pod, at, false);
    }

    private static LedgerEntry entry(String pod, String uid, long at, boolean dryRun) {
        return new LedgerEntry(pod, uid, "Deployment/x", "ReplicaSet", "x-1", "rs", RestartStrategy.Evict, at, 2, null, dryRun);
    }
}
