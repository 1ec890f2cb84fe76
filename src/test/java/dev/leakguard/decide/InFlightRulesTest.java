package dev.leakguard.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.decide.InFlightRules.EvictionProgress;
import dev.leakguard.decide.InFlightRules.RolloutProgress;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InFlightRulesTest {
    private static final long AT = 1_800_000_000_000L;
    private static final LedgerEntry EVICTION = new LedgerEntry("web-1", "uid-1", "Deployment/web", "ReplicaSet", "web-7d",
            "rs-uid", RestartStrategy.Evict, AT, 5, null, false);
    private static final LedgerEntry ROLLOUT = new LedgerEntry("web-1", "uid-1", "Deployment/web", "ReplicaSet", "web-7d",
            "rs-uid", RestartStrategy.RolloutRestart, AT, 3, "2027-01-15T08:00:00Z", false);

    static Stream<Arguments> evictions() {
        long soon = AT + 1_000;
        long later = AT + InFlightRules.STALE_REQUEST.toMillis();
        return Stream.of(
                Arguments.of("victim gone, replacement not created yet", new EvictionProgress(false, false, true, 5, 4), soon, true),
                Arguments.of("victim gone, replacement Ready", new EvictionProgress(false, false, true, 5, 5), soon, false),
                Arguments.of("victim terminating, replacement Ready", new EvictionProgress(true, true, true, 5, 5), soon, false),
                Arguments.of("victim terminating, replacement starting", new EvictionProgress(true, true, true, 5, 4), soon, true),
                Arguments.of("eviction just requested", new EvictionProgress(true, false, true, 5, 4), soon, true),
                Arguments.of("victim still serving long after: never evicted", new EvictionProgress(true, false, true, 5, 4), later, false),
                Arguments.of("scaled down meanwhile", new EvictionProgress(false, false, true, 3, 3), soon, false),
                Arguments.of("owner gone", new EvictionProgress(false, false, false, -1, 0), soon, false),
                Arguments.of("owner without replica count", new EvictionProgress(false, false, true, -1, 4), soon, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("evictions")
    void evictionIsInFlightUntilTheReplacementIsReady(String name, EvictionProgress progress, long now, boolean expected) {
        assertThat(InFlightRules.evictionInFlight(EVICTION, progress, now)).isEqualTo(expected);
    }

    static Stream<Arguments> rollouts() {
        String ours = ROLLOUT.restartedAt();
        return Stream.of(
                Arguments.of("nothing rolled yet", new RolloutProgress(true, ours, 3, 3, 0), true),
                Arguments.of("surge pod Ready, old pods still there", new RolloutProgress(true, ours, 3, 4, 1), true),
                Arguments.of("all new but one not Ready", new RolloutProgress(true, ours, 3, 3, 2), true),
                Arguments.of("all new and Ready", new RolloutProgress(true, ours, 3, 3, 3), false),
                Arguments.of("superseded by another rollout", new RolloutProgress(true, "2027-01-15T09:00:00Z", 3, 3, 0), false),
                Arguments.of("workload deleted", new RolloutProgress(false, null, -1, 0, 0), false),
                Arguments.of("DaemonSet: as many Ready as before", new RolloutProgress(true, ours, -1, 3, 3), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rollouts")
    void rolloutIsInFlightUntilEveryPodRunsTheNewTemplate(String name, RolloutProgress progress, boolean expected) {
        assertThat(InFlightRules.rolloutInFlight(ROLLOUT, progress)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "dry run never in flight")
    @MethodSource("evictions")
    void aDryRunIsNeverInFlight(String name, EvictionProgress progress, long now, boolean ignored) {
        LedgerEntry dry = new LedgerEntry("web-1", "uid-1", "Deployment/web", "ReplicaSet", "web-7d", "rs-uid",
                RestartStrategy.Evict, AT, 5, null, true);
        assertThat(InFlightRules.evictionInFlight(dry, progress, now)).isFalse();
    }

    @Test
    void aRolloutWithNoReadyPodOnItsNewTemplateWithinTheDeadlineIsGivenUpOneThatProgressesIsNot() {
        long deadline = AT + InFlightRules.ROLLOUT_PROGRESS_DEADLINE.toMillis();
        RolloutProgress nothingRolled = new RolloutProgress(true, "2027-01-15T08:00:00Z", 3, 3, 0);
        RolloutProgress oneReady = new RolloutProgress(true, "2027-01-15T08:00:00Z", 3, 4, 1);
        assertThat(InFlightRules.rolloutStalled(ROLLOUT, nothingRolled, deadline - 1)).isFalse();
        assertThat(InFlightRules.rolloutStalled(ROLLOUT, nothingRolled, deadline)).isTrue();
        assertThat(InFlightRules.rolloutStalled(ROLLOUT, oneReady, deadline + 3_600_000)).isFalse();
    }
}
