package dev.leakguard.decide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.policy.ActionType;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RestartRulesTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final RestartSettings EVICT = new RestartSettings(ActionType.Evict, false, 1, Duration.ofMinutes(10), 5,
            RestartLoopRule.DEFAULT);
    private static final WorkloadShape THREE_REPLICAS = new WorkloadShape(WorkloadKind.DEPLOYMENT, 3, true);

    /** A pod every rule lets through; each case breaks one or more facts. */
    private static RestartFacts fine() {
        return new RestartFacts(false, true, false, false, THREE_REPLICAS, 0, OptionalLong.empty(), 0, 0, 100, NOW, OptionalLong.empty(), null);
    }

    private record Case(String name, UnaryOperator<RestartFacts> facts, String expectedRule) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> blockingCases() {
        return Stream.of(
                new Case("opted out", f -> with(f, "excluded"), "excluded"),
                new Case("opt-out wins over every other rule",
                        f -> with(with(with(f, "excluded"), "notReady"), "inFlight"), "excluded"),
                new Case("not ready", f -> with(f, "notReady"), "not-ready"),
                new Case("not ready is reported before terminating", f -> with(with(f, "notReady"), "terminating"), "not-ready"),
                new Case("terminating", f -> with(f, "terminating"), "terminating"),
                new Case("already requested", f -> with(f, "alreadyRequested"), "already-requested"),
                new Case("no controller", f -> new RestartFacts(false, true, false, false, WorkloadShape.NO_CONTROLLER, 0,
                        OptionalLong.empty(), 0, 0, 100, NOW, OptionalLong.empty(), null), "no-controller"),
                new Case("max concurrent reached", f -> with(f, "inFlight"), "max-concurrent"),
                new Case("max concurrent before cooldown", f -> with(with(f, "inFlight"), "justRestarted"), "max-concurrent"),
                new Case("closer replica first", f -> with(f, "closerReplica"), "plan-order"),
                new Case("max concurrent before plan order", f -> with(with(f, "closerReplica"), "inFlight"), "max-concurrent"),
                new Case("plan order before cooldown", f -> with(with(f, "closerReplica"), "justRestarted"), "plan-order"),
                new Case("cooldown", f -> with(f, "justRestarted"), "cooldown"),
                new Case("a waived cooldown still leaves the budgets hard",
                        f -> with(with(with(f, "justRestarted"), "cooldownOutlastsPlan"), "policyBudget"), "policy-budget"),
                new Case("cooldown before budgets", f -> with(with(f, "justRestarted"), "policyBudget"), "cooldown"),
                new Case("policy budget", f -> with(f, "policyBudget"), "policy-budget"),
                new Case("policy budget before operator budget", f -> with(with(f, "policyBudget"), "operatorBudget"),
                        "policy-budget"),
                new Case("operator budget", f -> with(f, "operatorBudget"), "operator-budget"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blockingCases")
    void theFirstFailingRuleIsReported(Case c) {
        RestartDecision decision = RestartRules.decide(EVICT, c.facts.apply(fine()));
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.blockedBy().id()).isEqualTo(c.expectedRule);
        assertThat(decision.message()).isNotBlank();
    }

    @Test
    void cooldownEndsExactlyWhenItSays() {
        RestartFacts restartedTenMinutesAgo = new RestartFacts(false, true, false, false, THREE_REPLICAS, 0,
                OptionalLong.of(NOW - Duration.ofMinutes(10).toMillis()), 0, 0, 100, NOW, OptionalLong.empty(), null);
        assertThat(RestartRules.decide(EVICT, restartedTenMinutesAgo).allowed()).isTrue();
        RestartFacts oneMsEarlier = new RestartFacts(false, true, false, false, THREE_REPLICAS, 0,
                OptionalLong.of(NOW - Duration.ofMinutes(10).toMillis() + 1), 0, 0, 100, NOW, OptionalLong.empty(), null);
        assertThat(RestartRules.decide(EVICT, oneMsEarlier).blockedBy()).isEqualTo(BlockRule.COOLDOWN);
    }

    @Test
    void aZeroHourlyBudgetForbidsRestarts() {
        RestartSettings none = new RestartSettings(ActionType.Evict, false, 1, Duration.ZERO, 0, RestartLoopRule.DEFAULT);
        assertThat(RestartRules.decide(none, fine()).blockedBy()).isEqualTo(BlockRule.POLICY_BUDGET);
    }

    @Test
    void dryRunIsAllowedAndSaysSo() {
        RestartSettings dry = new RestartSettings(ActionType.Evict, true, 1, Duration.ZERO, 5, RestartLoopRule.DEFAULT);
        RestartDecision decision = RestartRules.decide(dry, fine());
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.dryRun()).isTrue();
        assertThat(decision.strategy()).isEqualTo(RestartStrategy.Evict);
    }

    @Test
    void annotateIsNotTheDoorsBusiness() {
        RestartSettings annotate = new RestartSettings(ActionType.Annotate, false, 1, Duration.ZERO, 5, RestartLoopRule.DEFAULT);
        assertThatThrownBy(() -> RestartRules.decide(annotate, fine())).isInstanceOf(IllegalArgumentException.class);
    }

    static Stream<Arguments> strategies() {
        return Stream.of(
                Arguments.of(ActionType.Evict, new WorkloadShape(WorkloadKind.DEPLOYMENT, 3, true), RestartStrategy.Evict),
                Arguments.of(ActionType.Evict, new WorkloadShape(WorkloadKind.DEPLOYMENT, 1, true), RestartStrategy.RolloutRestart),
                Arguments.of(ActionType.Evict, new WorkloadShape(WorkloadKind.DEPLOYMENT, 1, false), RestartStrategy.Evict),
                Arguments.of(ActionType.Evict, new WorkloadShape(WorkloadKind.STATEFUL_SET, 1, false), RestartStrategy.Evict),
                Arguments.of(ActionType.Evict, new WorkloadShape(WorkloadKind.DAEMON_SET, 1, true), RestartStrategy.Evict),
                Arguments.of(ActionType.RolloutRestart, new WorkloadShape(WorkloadKind.DEPLOYMENT, 3, true), RestartStrategy.RolloutRestart),
                Arguments.of(ActionType.RolloutRestart, new WorkloadShape(WorkloadKind.STATEFUL_SET, 3, false), RestartStrategy.RolloutRestart),
                Arguments.of(ActionType.RolloutRestart, new WorkloadShape(WorkloadKind.DAEMON_SET, 3, false), RestartStrategy.RolloutRestart),
                Arguments.of(ActionType.RolloutRestart, new WorkloadShape(WorkloadKind.REPLICA_SET, 3, false), RestartStrategy.Evict),
                Arguments.of(ActionType.RolloutRestart, new WorkloadShape(WorkloadKind.OTHER, 1, false), RestartStrategy.Evict));
    }

    @ParameterizedTest(name = "{0} of {1} -> {2}")
    @MethodSource("strategies")
    void theLeastDisruptiveStrategyIsChosen(ActionType type, WorkloadShape workload, RestartStrategy expected) {
        RestartSettings settings = new RestartSettings(type, false, 1, Duration.ZERO, 5, RestartLoopRule.DEFAULT);
        RestartFacts facts = new RestartFacts(false, true, false, false, workload, 0, OptionalLong.empty(), 0, 0, 100, NOW, OptionalLong.empty(), null);
        RestartDecision decision = RestartRules.decide(settings, facts);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.strategy()).isEqualTo(expected);
    }

    @Test
    void aWorkloadThatWillNotRollIsEvictedInsteadUnlessThatTakesItsOnlyReadyPod() {
        RestartSettings rollout = new RestartSettings(ActionType.RolloutRestart, false, 1, Duration.ofMinutes(10), 5,
                RestartLoopRule.DEFAULT);
        WorkloadShape pausedThree = new WorkloadShape(WorkloadKind.DEPLOYMENT, 3, true, "Deployment web is paused (spec.paused: true)");
        RestartDecision evicted = RestartRules.decide(rollout, new RestartFacts(false, true, false, false, pausedThree, 0,
                OptionalLong.empty(), 0, 0, 100, NOW, OptionalLong.empty(), null));
        assertThat(evicted.strategy()).isEqualTo(RestartStrategy.Evict);
        assertThat(evicted.message()).isEqualTo("eviction instead of rollout restart: Deployment web is paused (spec.paused: true)");

        WorkloadShape pausedOne = new WorkloadShape(WorkloadKind.DEPLOYMENT, 1, true, "Deployment web is paused (spec.paused: true)");
        for (RestartSettings settings : List.of(rollout, EVICT)) {
            RestartDecision blocked = RestartRules.decide(settings, new RestartFacts(false, true, false, false, pausedOne, 0,
                    OptionalLong.empty(), 0, 0, 100, NOW, OptionalLong.empty(), null));
            assertThat(blocked.blockedBy()).as(settings.type().name()).isEqualTo(BlockRule.WONT_ROLL);
            assertThat(blocked.message()).contains("paused", "only Ready pod");
        }
        WorkloadShape onDeleteOne = new WorkloadShape(WorkloadKind.STATEFUL_SET, 1, false, "StatefulSet db has updateStrategy OnDelete");
        RestartDecision deleted = RestartRules.decide(rollout, new RestartFacts(false, true, false, false, onDeleteOne, 0,
                OptionalLong.empty(), 0, 0, 100, NOW, OptionalLong.empty(), null));
        assertThat(deleted.strategy()).as("its rollout would take the pod down first anyway").isEqualTo(RestartStrategy.Evict);
    }

    @Test
    void theCooldownGivesWayOnlyWhenWaitingForItWouldPassTheLatestStartInThePlan() {
        long restarted = NOW - Duration.ofMinutes(1).toMillis();
        long cooldownEnds = restarted + Duration.ofMinutes(10).toMillis();
        RestartFacts startBeforeCooldownEnds = new RestartFacts(false, true, false, false, THREE_REPLICAS, 0,
                OptionalLong.of(restarted), 0, 0, 100, NOW, OptionalLong.of(cooldownEnds - 1), null);
        RestartDecision waived = RestartRules.decide(EVICT, startBeforeCooldownEnds);
        assertThat(waived.allowed()).isTrue();
        assertThat(waived.message()).contains("cooldown waived").contains("workload restarted 1m ago, cooldown 10m")
                .contains("before its predicted OOM");
        RestartFacts startAfterCooldownEnds = new RestartFacts(false, true, false, false, THREE_REPLICAS, 0,
                OptionalLong.of(restarted), 0, 0, 100, NOW, OptionalLong.of(cooldownEnds), null);
        assertThat(RestartRules.decide(EVICT, startAfterCooldownEnds).blockedBy()).isEqualTo(BlockRule.COOLDOWN);
    }

    @Test
    void humanDurations() {
        assertThat(List.of(500L, 1_000L, 61_000L, 5_400_000L, 3_600_000L).stream().map(RestartRules::human))
                .containsExactly("500ms", "1s", "1m1s", "1h30m", "1h");
    }

    /** Breaks one named fact of an otherwise fine request. */
    private static RestartFacts with(RestartFacts f, String broken) {
        return new RestartFacts(
                f.excluded() || broken.equals("excluded"),
                f.runningAndReady() && !broken.equals("notReady"),
                f.terminating() || broken.equals("terminating"),
                f.alreadyRequested() || broken.equals("alreadyRequested"),
                f.workload(),
                broken.equals("inFlight") ? 1 : f.inFlight(),
                broken.equals("justRestarted") ? OptionalLong.of(NOW - 60_000) : f.lastWorkloadRestartMillis(),
                broken.equals("policyBudget") ? 5 : f.policyRestartsLastHour(),
                broken.equals("operatorBudget") ? 100 : f.operatorRestartsLastHour(),
                f.operatorMaxRestartsPerHour(),
                f.nowMillis(),
                broken.equals("cooldownOutlastsPlan") ? OptionalLong.of(NOW + 60_000) : f.latestStartMillis(),
                broken.equals("closerReplica") ? "web-1" : f.closerReplica());
    }
}
