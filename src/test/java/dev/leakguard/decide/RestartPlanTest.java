package dev.leakguard.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.policy.ActionType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RestartPlanTest {
    private static final long T = 1_800_000_000_000L;
    private static final long MINUTE = 60_000;
    private static final RestartPace NINETY_SECONDS = new RestartPace(Duration.ofSeconds(90), Integer.MAX_VALUE, T - 3_600_000);

    private static RestartPlan.Replica dying(String pod, long atMillis) {
        return new RestartPlan.Replica(pod + "-uid", pod, atMillis + 30_000, atMillis);
    }

    @Test
    void threeReplicasOneAtATimeNinetySecondsEachStartFourAndAHalfMinutesBeforeTheEarliestOom() {
        RestartPlan plan = RestartPlan.perReplica("Deployment/web", List.of(dying("c", T), dying("a", T), dying("b", T)), 1,
                NINETY_SECONDS, Duration.ZERO);

        assertThat(plan.slots()).extracting(s -> s.startByMillis())
                .containsExactly(T - 270_000, T - 180_000, T - 90_000);
        assertThat(plan.due("a-uid", T - 270_001)).isFalse();
        assertThat(plan.due("a-uid", T - 270_000)).isTrue();
        assertThat(plan.describe(true)).startsWith("3 replicas, 1 at a time, replacement Ready in 1m30s (measured): a by");
    }

    @Test
    void theReplicaClosestToItsLimitGoesFirstJudgedByItsPessimisticBound() {
        RestartPlan.Replica steadyButNear = new RestartPlan.Replica("x-uid", "x", T + 10 * MINUTE, T + 2 * MINUTE);
        RestartPlan.Replica expectedSooner = new RestartPlan.Replica("y-uid", "y", T + 5 * MINUTE, T + 4 * MINUTE);

        RestartPlan plan = RestartPlan.perReplica("Deployment/web", List.of(expectedSooner, steadyButNear), 1, NINETY_SECONDS, Duration.ZERO);

        assertThat(plan.slots()).extracting(s -> s.replica().pod()).containsExactly("x", "y");
        assertThat(plan.ahead("y-uid")).extracting(RestartPlan.Replica::pod).containsExactly("x");
        assertThat(plan.ahead("x-uid")).isEmpty();
    }

    @Test
    void replicasWithinOneReplacementOfEachOtherGoByNameSoThatTwoPlansNeverMakeThemWaitForEachOther() {
        RestartPlan seenByA = RestartPlan.perReplica("Deployment/web", List.of(dying("a", T + 10_000), dying("b", T)), 1,
                NINETY_SECONDS, Duration.ZERO);
        RestartPlan seenByB = RestartPlan.perReplica("Deployment/web", List.of(dying("a", T), dying("b", T + 10_000)), 1,
                NINETY_SECONDS, Duration.ZERO);
        assertThat(seenByA.ahead("a-uid")).isEmpty();
        assertThat(seenByB.ahead("b-uid")).extracting(RestartPlan.Replica::pod).containsExactly("a");
        RestartPlan farApart = RestartPlan.perReplica("Deployment/web", List.of(dying("a", T + 91_000), dying("b", T)), 1,
                NINETY_SECONDS, Duration.ZERO);
        assertThat(farApart.ahead("a-uid")).extracting(RestartPlan.Replica::pod).containsExactly("b");
    }

    @Test
    void lanesAreTheSmallerOfMaxConcurrentAndWhatThePdbAllows() {
        List<RestartPlan.Replica> four = List.of(dying("a", T), dying("b", T), dying("c", T), dying("d", T));
        RestartPlan twoLanes = RestartPlan.perReplica("Deployment/web", four, 2, NINETY_SECONDS, Duration.ZERO);
        assertThat(twoLanes.slots()).extracting(s -> s.startByMillis()).containsExactly(T - 180_000, T - 180_000, T - 90_000, T - 90_000);

        RestartPlan pdbAllowsOne = RestartPlan.perReplica("Deployment/web", four, 2, NINETY_SECONDS.withBudgetAllows(1), Duration.ZERO);
        assertThat(pdbAllowsOne.lanes()).isEqualTo(1);
        assertThat(pdbAllowsOne.firstStartByMillis()).isEqualTo(T - 360_000);
    }

    @Test
    void aReplicaFarFromItsLimitStillBoundsTheOnesBeforeItOnlyThroughItsOwnStart() {
        RestartPlan plan = RestartPlan.perReplica("Deployment/web", List.of(dying("near", T), dying("far", T + 60 * MINUTE)), 1,
                NINETY_SECONDS, Duration.ZERO);
        assertThat(plan.slots()).extracting(s -> s.startByMillis()).containsExactly(T - 90_000, T + 60 * MINUTE - 90_000);
    }

    @Test
    void theMarginIsLeftToEveryReplicaNotOnlyTheFirst() {
        RestartPlan plan = RestartPlan.perReplica("Deployment/web", List.of(dying("a", T), dying("b", T + 10 * MINUTE)), 1,
                NINETY_SECONDS, Duration.ofMinutes(5));
        assertThat(plan.slots()).extracting(s -> s.startByMillis())
                .containsExactly(T - 5 * MINUTE - 90_000, T + 5 * MINUTE - 90_000);
        RestartPlan rollout = RestartPlan.wholeWorkload("StatefulSet/db", List.of(dying("db-0", T)), NINETY_SECONDS,
                Duration.ofMinutes(5));
        assertThat(rollout.firstStartByMillis()).isEqualTo(T - 5 * MINUTE - 90_000);
    }

    @Test
    void aRolloutRestartReplacesEveryReplicaAtOnceAndMustEndBeforeTheEarliestOom() {
        RestartPlan assumed = RestartPlan.wholeWorkload("StatefulSet/db", List.of(dying("db-1", T + MINUTE), dying("db-0", T)),
                RestartPace.ASSUMED, Duration.ZERO);
        assertThat(assumed.slots()).extracting(s -> s.startByMillis()).containsOnly(T - 4 * MINUTE);
        RestartPlan measured = RestartPlan.wholeWorkload("StatefulSet/db", List.of(dying("db-0", T)), NINETY_SECONDS, Duration.ZERO);
        assertThat(measured.firstStartByMillis()).isEqualTo(T - 90_000);
    }

    @Test
    void aShortBudgetNamesTheReplicasAtTheEndOfTheQueue() {
        List<RestartPlan.Replica> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(dying("web-" + i, T + i * 10_000L));
        }
        RestartPlan plan = RestartPlan.perReplica("Deployment/web", five, 1, NINETY_SECONDS, Duration.ZERO);
        long now = T - 12 * MINUTE;

        RestartPlan.Shortfall shortfall = plan.shortfall(3, now, Set.of()).orElseThrow();

        assertThat(shortfall.uncovered()).extracting(RestartPlan.Replica::pod).containsExactly("web-3", "web-4");
        assertThat(shortfall.describe("Deployment/web")).startsWith(
                "leak outpaces the restart budget: 5 replicas of Deployment/web need restarts within 12m40s, budget allows 3");
        assertThat(plan.shortfall(5, now, Set.of())).isEmpty();
        assertThat(plan.shortfall(3, now, Set.of("web-0-uid", "web-1-uid"))).isEmpty();
    }

    @Test
    void aSlowerReplacementIsBelievedAtOnceAFasterOneHalfway() {
        RestartPace first = RestartPace.ASSUMED.measuredAgain(Duration.ofSeconds(60), T);
        assertThat(first.replacementReady()).isEqualTo(Duration.ofSeconds(60));
        assertThat(first.measured()).isTrue();
        assertThat(first.measuredAgain(Duration.ofSeconds(100), T + 1).replacementReady()).isEqualTo(Duration.ofSeconds(100));
        assertThat(first.measuredAgain(Duration.ofSeconds(20), T + 1).replacementReady()).isEqualTo(Duration.ofSeconds(40));
    }

    /**
     * Five replicas with the same leak, started together (a few seconds apart), one eviction at a time under
     * a PDB of maxUnavailable 1, replacements Ready 60 s after eviction, default cooldown (10m) and horizon
     * (15m), each replica asking for its restart every 15 s once its horizon or its start in the plan has come.
     * With the plan no replica reaches its limit, at most one is unavailable, and they go closest-first. Without
     * it (each pod alone, the cooldown blocking) the third replica onwards is OOM-killed: today's behaviour.
     */
    @Test
    void fiveReplicasInStepAreAllReplacedBeforeTheirLimitsOneAtATime() {
        Simulation withPlan = simulate(true, 10);
        assertThat(withPlan.oomKilled).isEmpty();
        assertThat(withPlan.maxUnavailable).isEqualTo(1);
        assertThat(withPlan.evicted.keySet()).containsExactly("web-0", "web-1", "web-2", "web-3", "web-4");
        assertThat(withPlan.cooldownWaived).isGreaterThan(0);
        withPlan.evicted.forEach((pod, at) -> assertThat(T + Integer.parseInt(pod.substring(4)) * 7_000L - at)
                .as(pod + ": time left when evicted").isGreaterThanOrEqualTo(5 * MINUTE));

        Simulation podByPod = simulate(false, 10);
        assertThat(podByPod.oomKilled).as("without a plan the cooldown lets replicas die").hasSize(3);
    }

    @Test
    void aBudgetTooSmallForThePlanIsSaidAheadAndNamesTheReplicasItCannotCover() {
        Simulation capped = simulate(true, 3);
        assertThat(capped.firstShortfall).isNotNull();
        assertThat(capped.firstShortfall.uncovered()).extracting(RestartPlan.Replica::pod).containsExactly("web-3", "web-4");
        assertThat(capped.oomKilled).containsExactlyInAnyOrder("web-3", "web-4");
        assertThat(capped.firstShortfallAt).isLessThan(capped.firstOomAt);
    }

    private static final class Simulation {
        final Map<String, Long> evicted = new LinkedHashMap<>();
        final List<String> oomKilled = new ArrayList<>();
        int maxUnavailable;
        int cooldownWaived;
        RestartPlan.Shortfall firstShortfall;
        long firstShortfallAt = Long.MAX_VALUE;
        long firstOomAt = Long.MAX_VALUE;
    }

    private static Simulation simulate(boolean planned, int maxRestartsPerHour) {
        RestartSettings settings = new RestartSettings(ActionType.Evict, false, 1, Duration.ofMinutes(10), maxRestartsPerHour,
                RestartLoopRule.DEFAULT);
        long horizon = 15 * MINUTE;
        long ready = MINUTE;
        Map<String, Long> oomAt = new LinkedHashMap<>();
        for (int i = 4; i >= 0; i--) {   // asked in the reverse of their risk: the order must come from the plan
            oomAt.put("web-" + i, T + i * 7_000L);
        }
        Simulation sim = new Simulation();
        RestartPace pace = RestartPace.ASSUMED;
        for (long now = T - 40 * MINUTE; now <= T + 5 * MINUTE; now += 15_000) {
            final long t = now;
            List<RestartPlan.Replica> heading = new ArrayList<>();
            oomAt.forEach((pod, oom) -> {
                if (!sim.evicted.containsKey(pod) && !sim.oomKilled.contains(pod)) {
                    heading.add(new RestartPlan.Replica(pod + "-uid", pod, oom, oom - 20_000));
                }
            });
            for (Map.Entry<String, Long> replica : oomAt.entrySet()) {
                String pod = replica.getKey();
                if (!sim.evicted.containsKey(pod) && !sim.oomKilled.contains(pod) && t >= replica.getValue()) {
                    sim.oomKilled.add(pod);
                    sim.firstOomAt = Math.min(sim.firstOomAt, t);
                }
            }
            int inFlight = (int) sim.evicted.values().stream().filter(at -> t < at + ready).count();
            sim.maxUnavailable = Math.max(sim.maxUnavailable, inFlight);
            if (!sim.evicted.isEmpty()) {
                pace = pace.measuredAgain(Duration.ofMillis(ready), sim.evicted.values().iterator().next());
            }
            RestartPlan plan = RestartPlan.perReplica("Deployment/web", heading, settings.maxConcurrent(), pace, Duration.ofMinutes(5));
            long lastRestart = sim.evicted.values().stream().mapToLong(Long::longValue).max().orElse(Long.MIN_VALUE);
            int lastHour = (int) sim.evicted.values().stream().filter(at -> at >= t - 60 * MINUTE).count();
            if (planned && sim.firstShortfall == null) {
                plan.shortfall(settings.maxRestartsPerHour() - lastHour, t, Set.of()).ifPresent(s -> {
                    sim.firstShortfall = s;
                    sim.firstShortfallAt = t;
                });
            }
            for (RestartPlan.Replica replica : heading) {
                boolean wants = replica.oomAtMillis() - t <= horizon || planned && plan.due(replica.podUid(), t);
                if (!wants || sim.oomKilled.contains(replica.pod())) {
                    continue;
                }
                inFlight = (int) sim.evicted.values().stream().filter(at -> t < at + ready).count();
                String closer = null;
                if (planned) {
                    closer = plan.ahead(replica.podUid()).stream().map(RestartPlan.Replica::pod)
                            .filter(p -> !sim.evicted.containsKey(p) && !sim.oomKilled.contains(p)).findFirst().orElse(null);
                }
                OptionalLong latestStart = planned ? OptionalLong.of(plan.slotOf(replica.podUid()).orElseThrow().startByMillis())
                        : OptionalLong.empty();
                RestartFacts facts = new RestartFacts(false, true, false, false, new WorkloadShape(WorkloadKind.DEPLOYMENT, 5, true),
                        inFlight, sim.evicted.isEmpty() ? OptionalLong.empty() : OptionalLong.of(lastRestart),
                        (int) sim.evicted.values().stream().filter(at -> at >= t - 60 * MINUTE).count(), 0, 100, t, latestStart, closer);
                RestartDecision decision = RestartRules.decide(settings, facts);
                if (decision.allowed()) {
                    sim.evicted.put(replica.pod(), t);
                    lastRestart = t;
                    if (decision.message().contains("cooldown waived")) {
                        sim.cooldownWaived++;
                    }
                }
            }
        }
        return sim;
    }
}
