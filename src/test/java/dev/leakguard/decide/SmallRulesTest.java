package dev.leakguard.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.policy.ActionType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SmallRulesTest {
    @ParameterizedTest(name = "{0} of {1}, round up {2} -> {3}")
    @CsvSource({
            "1, 5, true, 1",
            "25%, 1, true, 1",
            "25%, 1, false, 0",
            "25%, 10, true, 3",
            "25%, 10, false, 2",
            "50%, 5, true, 3",
            "100%, 7, true, 7",
            "0%, 7, true, 0"})
    void intOrPercentRoundsLikeKubernetes(String value, int total, boolean roundUp, int expected) {
        assertThat(IntOrPercent.scaled(value, total, roundUp)).isEqualTo(expected);
    }

    @Test
    void backoffDoublesUpToItsMaximumAndRestartsAfterClear() {
        RetryBackoff backoff = new RetryBackoff(Duration.ofSeconds(30), Duration.ofMinutes(10));
        long now = 0;
        assertThat(backoff.waitingUntil("pod", now)).isEmpty();
        RetryBackoff.Refusal first = backoff.refused("pod", now);
        assertThat(first.first()).isTrue();
        assertThat(first.delayMillis()).isEqualTo(30_000);
        assertThat(backoff.waitingUntil("pod", 29_999)).hasValue(30_000);
        assertThat(backoff.waitingUntil("pod", 30_000)).isEmpty();
        long[] delays = new long[7];
        for (int i = 0; i < delays.length; i++) {
            RetryBackoff.Refusal next = backoff.refused("pod", now);
            assertThat(next.first()).isFalse();
            delays[i] = next.delayMillis() / 1000;
        }
        assertThat(delays).containsExactly(60, 120, 240, 480, 600, 600, 600);
        assertThat(backoff.waitingUntil("other", now)).isEmpty();
        backoff.clear("pod");
        assertThat(backoff.refused("pod", now).first()).isTrue();
    }

    @Test
    void restartLoopIsMoreThanTheThreshold() {
        assertThat(RestartLoopRule.DEFAULT.isLoop(3)).isFalse();
        assertThat(RestartLoopRule.DEFAULT.isLoop(4)).isTrue();
    }

    @Test
    void ledgerCountsPrunesAndTakesBack() {
        long hour = Duration.ofHours(1).toMillis();
        LedgerEntry old = entry("a", "Deployment/web", 0, false);
        LedgerEntry recent = entry("b", "Deployment/web", hour - 10, false);
        LedgerEntry dry = entry("c", "Deployment/api", hour - 5, true);
        RestartLedger ledger = RestartLedger.EMPTY
                .withRestart(old, 0, Duration.ofHours(1))
                .withRestart(recent, hour - 10, Duration.ofHours(1))
                .withRestart(dry, hour - 5, Duration.ofHours(1));
        assertThat(ledger.restarts()).isEqualTo(2);
        assertThat(ledger.entries()).containsExactly(old, recent, dry);
        assertThat(ledger.lastRestartOf("Deployment/web", false)).hasValue(hour - 10);
        assertThat(ledger.lastRestartOf("Deployment/api", false)).isEmpty();
        assertThat(ledger.lastRestartOf("Deployment/api", true)).hasValue(hour - 5);
        assertThat(ledger.startedSince(10, false)).isEqualTo(1);
        assertThat(ledger.restartsOf("Deployment/web", 0)).isEqualTo(2);

        RestartLedger pruned = ledger.withRestart(entry("d", "Deployment/web", hour + 5, false), hour + 5,
                Duration.ofHours(1));
        assertThat(pruned.entries()).extracting(LedgerEntry::pod).containsExactly("b", "c", "d");
        assertThat(pruned.restarts()).isEqualTo(3);

        RestartLedger takenBack = pruned.withoutRestart(pruned.entries().get(2));
        assertThat(takenBack.restarts()).isEqualTo(2);
        assertThat(takenBack.entries()).extracting(LedgerEntry::pod).containsExactly("b", "c");
    }

    @Test
    void ledgerCountsEachOomKillOnce() {
        RestartLedger once = RestartLedger.EMPTY.withOomKills(List.of("uid/app#1", "uid/app#1"));
        assertThat(once.oomKillsMissed()).isEqualTo(1);
        assertThat(once.withOomKills(List.of("uid/app#1"))).isSameAs(once);
        assertThat(once.withOomKills(List.of("uid/app#2")).oomKillsMissed()).isEqualTo(2);
    }

    @Test
    void retentionCoversCooldownAndLoopWindow() {
        RestartSettings longCooldown = new RestartSettings(ActionType.Evict, false, 1, Duration.ofHours(3), 5,
                RestartLoopRule.DEFAULT);
        assertThat(RestartLedger.retention(longCooldown)).isEqualTo(Duration.ofHours(3));
        RestartSettings longLoop = new RestartSettings(ActionType.Evict, false, 1, Duration.ofMinutes(5), 5,
                new RestartLoopRule(3, Duration.ofHours(6)));
        assertThat(RestartLedger.retention(longLoop)).isEqualTo(Duration.ofHours(6));
    }

    private static LedgerEntry entry(String pod, String workload, long at, boolean dryRun) {
        return new LedgerEntry(pod, pod + "-uid", workload, "ReplicaSet", "rs", "rs-uid", RestartStrategy.Evict, at, 3, null,
                dryRun);
    }
}
