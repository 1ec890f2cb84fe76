package dev.leakguard.act;

import static dev.leakguard.act.RestartCluster.NS;
import static dev.leakguard.act.RestartCluster.WHY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.EventReason;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.decide.RestartLoopRule;
import dev.leakguard.decide.RestartOutcome;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.decide.RestartStrategy;
import dev.leakguard.demo.ApiRequest;
import dev.leakguard.policy.ActionType;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RestartDoorTest {
    private final RestartCluster cluster = new RestartCluster();
    private final TestingMetrics metrics = new TestingMetrics();

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static RestartSettings settings(ActionType type, boolean dryRun, int maxConcurrent, Duration cooldown, int perHour) {
        return new RestartSettings(type, dryRun, maxConcurrent, cooldown, perHour, RestartLoopRule.DEFAULT);
    }

    private LeakPolicy policy(RestartSettings s) {
        return cluster.policy("web-leaks", s.type(), s.dryRun(), s.maxConcurrent(), s.cooldown().toMinutes() + "m",
                s.maxRestartsPerHour());
    }

    @Test
    void evictsThroughTheEvictionApiAfterMarkingThePodAndRecordingTheLedger() {
        cluster.deployment("web", 3, "RollingUpdate", "1");
        cluster.budget("web-pdb", "web", null, "1");
        RestartSettings s = settings(ActionType.Evict, false, 1, Duration.ofMinutes(10), 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        RestartOutcome outcome = restarter.requestRestart(policy, s, cluster.pod("web-0"), WHY);

        assertThat(outcome.result()).isEqualTo(RestartOutcome.Result.done);
        assertThat(outcome.strategy()).isEqualTo(RestartStrategy.Evict);
        assertThat(cluster.pod("web-0")).isNull();
        assertThat(cluster.events(EventReason.Evicted)).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("shop/web-0", WHY))
                .satisfies(e -> assertThat(e.getInvolvedObject().getName()).isEqualTo("web-0"));
        assertThat(metrics.actions()).containsExactly("evict:done");
        assertThat(restarter.score(cluster.reread(policy)).restarts()).isEqualTo(1);

        List<ApiRequest> requests = cluster.dispatcher.requests();
        int ledger = indexOf(requests, "patch", "leakpolicies", "", "web-leaks");
        int marker = indexOf(requests, "patch", "pods", "", "web-0");
        int eviction = indexOf(requests, "create", "pods", "eviction", "web-0");
        assertThat(ledger).isNotNegative().isLessThan(eviction);
        assertThat(marker).isNotNegative().isLessThan(eviction);
        assertThat(cluster.reread(policy).getMetadata().getAnnotations().get(AnnotationLedgerStore.LEDGER_ANNOTATION))
                .contains("\"pod\":\"web-0\"", "\"strategy\":\"Evict\"", "\"at\":\"2027-01-15T08:00:00Z\"");
    }

    @Test
    void aRefusalByTheDisruptionBudgetIsReportedOnceAndBacksOffWithoutTouchingTheApi() {
        cluster.deployment("web", 3, "RollingUpdate", "1");
        cluster.budget("web-pdb", "web", "3", null);
        RestartSettings s = settings(ActionType.Evict, false, 1, Duration.ofMinutes(10), 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);
        Pod pod = cluster.pod("web-0");

        RestartOutcome first = restarter.requestRestart(policy, s, pod, WHY);
        cluster.flushEvents();
        int requestsAfterFirst = cluster.dispatcher.requests().size();
        RestartOutcome second = restarter.requestRestart(policy, s, pod, WHY);
        RestartOutcome third = restarter.requestRestart(policy, s, pod, WHY);

        assertThat(List.of(first, second, third)).allSatisfy(o -> {
            assertThat(o.result()).isEqualTo(RestartOutcome.Result.blocked);
            assertThat(o.rule()).isEqualTo("disruption-budget");
        });
        assertThat(first.message()).contains("web-pdb", "30s");
        assertThat(cluster.dispatcher.requests()).hasSize(requestsAfterFirst);
        assertThat(cluster.requests("create", "pods", "eviction", "web-0")).isEqualTo(1);
        assertThat(cluster.pod("web-0")).isNotNull();
        assertThat(cluster.pod("web-0").getMetadata().getAnnotations()).doesNotContainKey(PodAnnotations.RESTART_REQUESTED_AT);
        assertThat(restarter.score(cluster.reread(policy)).restarts()).isZero();
        assertThat(cluster.operatorLedger(restarter.ledgers(), RestartCluster.frozenClock(Duration.ZERO)).update(UnaryOperator.identity())
                .starts()).as("the operator-wide slot given back").isEmpty();
        assertThat(cluster.events(EventReason.RestartBlocked)).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("disruption-budget", "web-pdb", "never bypasses", WHY));
        assertThat(metrics.actions()).containsExactly("evict:pdb_blocked", "evict:pdb_blocked", "evict:pdb_blocked");
    }

    @ParameterizedTest
    @EnumSource(value = ActionType.class, names = {"Evict", "RolloutRestart"})
    void aDryRunTellsWhatWouldHappenAndChangesNothingElse(ActionType type) {
        cluster.deployment("web", 3, "RollingUpdate", "1");
        RestartSettings s = settings(type, true, 1, Duration.ofMinutes(10), 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        RestartOutcome outcome = restarter.requestRestart(policy, s, cluster.pod("web-0"), WHY);
        RestartOutcome again = restarter.requestRestart(policy, s, cluster.pod("web-1"), WHY);

        assertThat(outcome.result()).isEqualTo(RestartOutcome.Result.dry_run);
        assertThat(again.rule()).as("the dry run keeps its own cooldown").isEqualTo("cooldown");
        assertThat(cluster.requests("create", "pods", "eviction", null)).isZero();
        assertThat(cluster.requests("patch", "deployments", "", null)).isZero();
        assertThat(cluster.requests("delete", "pods", "", null)).isZero();
        assertThat(cluster.readyPods("web")).isEqualTo(3);
        assertThat(cluster.pod("web-0").getMetadata().getAnnotations())
                .containsKey(PodAnnotations.WOULD_RESTART_AT).doesNotContainKey(PodAnnotations.RESTART_REQUESTED_AT);
        Deployment deployment = cluster.client.apps().deployments().inNamespace(NS).withName("web").get();
        assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations()).isNullOrEmpty();
        assertThat(cluster.events(EventReason.WouldRestart)).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("Dry run: would", "nothing was changed", WHY));
        assertThat(metrics.actions()).first().asString().endsWith(":dry_run");
    }

    @Test
    void rolloutRestartPatchesTheTemplateAndIsInFlightUntilEveryPodRunsIt() {
        ReplicaSet replicaSet = cluster.deployment("web", 2, "RollingUpdate", "1");
        RestartSettings s = settings(ActionType.RolloutRestart, false, 3, Duration.ZERO, 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        RestartOutcome outcome = restarter.requestRestart(policy, s, cluster.pod("web-0"), WHY);

        assertThat(outcome.result()).isEqualTo(RestartOutcome.Result.done);
        assertThat(outcome.strategy()).isEqualTo(RestartStrategy.RolloutRestart);
        String restartedAt = cluster.client.apps().deployments().inNamespace(NS).withName("web").get()
                .getSpec().getTemplate().getMetadata().getAnnotations().get(Disruptor.ROLLOUT_RESTARTED_AT);
        assertThat(restartedAt).isEqualTo("2027-01-15T08:00:00Z");
        assertThat(cluster.requests("create", "pods", "eviction", null)).isZero();
        assertThat(cluster.events(EventReason.RolloutRestarted)).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("Deployment/web", WHY));

        assertThat(restarter.requestRestart(policy, s, cluster.pod("web-1"), WHY).rule()).isEqualTo("already-requested");

        // The Deployment controller's work: new pods from the new template, old ones gone.
        cluster.client.pods().inNamespace(NS).withName("web-0").delete();
        cluster.client.pods().inNamespace(NS).withName("web-1").delete();
        cluster.pod("web-a", replicaSet, Map.of(Disruptor.ROLLOUT_RESTARTED_AT, restartedAt));
        cluster.pod("web-b", replicaSet, Map.of(Disruptor.ROLLOUT_RESTARTED_AT, restartedAt));

        // Still leaking after the restart: allowed again (no cooldown here), and the loop is not yet reached.
        assertThat(restarter.requestRestart(policy, s, cluster.pod("web-a"), WHY).result()).isEqualTo(RestartOutcome.Result.done);
        assertThat(metrics.restartLoops()).isZero();
    }

    @Test
    void theOnlyReadyPodOfASurgingDeploymentIsRolledNotEvicted() {
        cluster.deployment("web", 1, "RollingUpdate", "25%");
        RestartSettings s = settings(ActionType.Evict, false, 1, Duration.ZERO, 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        RestartOutcome outcome = restarter.requestRestart(policy, s, cluster.pod("web-0"), WHY);

        assertThat(outcome.strategy()).isEqualTo(RestartStrategy.RolloutRestart);
        assertThat(cluster.requests("create", "pods", "eviction", null)).isZero();
        assertThat(cluster.pod("web-0")).isNotNull();
        assertThat(cluster.events(EventReason.RolloutRestarted)).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("only Ready pod"));
        assertThat(metrics.actions()).containsExactly("rollout_restart:done");
    }

    @Test
    void theOnlyPodOfARecreateDeploymentIsEvicted() {
        cluster.deployment("web", 1, "Recreate", null);
        RestartSettings s = settings(ActionType.Evict, false, 1, Duration.ZERO, 10);
        LeakPolicy policy = policy(s);

        RestartOutcome outcome = cluster.door(metrics, Duration.ZERO, 100).requestRestart(policy, s, cluster.pod("web-0"), WHY);

        assertThat(outcome.strategy()).isEqualTo(RestartStrategy.Evict);
        assertThat(cluster.pod("web-0")).isNull();
    }

    @Test
    void podsWithoutControllerOrOptedOutAreNeverTouched() {
        cluster.pod("lonely", null, Map.of());
        cluster.deployment("web", 3, "RollingUpdate", "1");
        cluster.client.pods().inNamespace(NS).withName("web-2")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"leakguard.dev/exclude\":\"true\"}}}");
        RestartSettings s = settings(ActionType.Evict, false, 5, Duration.ZERO, 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        assertThat(restarter.requestRestart(policy, s, cluster.pod("lonely"), WHY).rule()).isEqualTo("no-controller");
        assertThat(restarter.requestRestart(policy, s, cluster.pod("web-2"), WHY).rule()).isEqualTo("excluded");
        assertThat(restarter.requestRestart(policy, s, cluster.pod("web-2"), WHY).rule()).isEqualTo("excluded");
        assertThat(cluster.requests("create", "pods", "eviction", null)).isZero();
        assertThat(cluster.events(EventReason.RestartBlocked)).as("one Event per pod and rule")
                .extracting(e -> e.getInvolvedObject().getName()).containsExactlyInAnyOrder("lonely", "web-2");
    }

    @Test
    void cooldownHoldsUnderABurstOfLeakingPodsOfOneWorkload() {
        cluster.deployment("web", 5, "RollingUpdate", "1");
        RestartSettings s = settings(ActionType.Evict, false, 5, Duration.ofMinutes(10), 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        List<String> rules = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            RestartOutcome o = restarter.requestRestart(policy, s, cluster.pod("web-" + i), WHY);
            rules.add(o.result() == RestartOutcome.Result.done ? "done" : o.rule());
        }

        assertThat(rules).containsExactly("done", "cooldown", "cooldown", "cooldown", "cooldown");
        assertThat(cluster.requests("create", "pods", "eviction", null)).isEqualTo(1);
    }

    @Test
    void hourlyBudgetsHoldUnderABurstOfLeakingPods() {
        for (String app : List.of("a", "b", "c", "d", "e")) {
            cluster.deployment(app, 2, "RollingUpdate", "1");
        }
        RestartSettings s = settings(ActionType.Evict, false, 5, Duration.ofMinutes(10), 2);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        List<String> rules = new ArrayList<>();
        for (String app : List.of("a", "b", "c", "d", "e")) {
            RestartOutcome o = restarter.requestRestart(policy, s, cluster.pod(app + "-0"), WHY);
            rules.add(o.result() == RestartOutcome.Result.done ? "done" : o.rule());
        }
        assertThat(rules).containsExactly("done", "done", "policy-budget", "policy-budget", "policy-budget");

        RestartSettings generous = settings(ActionType.Evict, false, 5, Duration.ofMinutes(10), 10);
        RestartCluster.Door cappedOperator = cluster.door(metrics, Duration.ZERO, 3);
        List<String> capped = new ArrayList<>();
        for (String app : List.of("c", "d", "e")) {
            RestartOutcome o = cappedOperator.requestRestart(policy, generous, cluster.pod(app + "-0"), WHY);
            capped.add(o.result() == RestartOutcome.Result.done ? "done" : o.rule());
        }
        assertThat(capped).containsExactly("done", "operator-budget", "operator-budget");
        assertThat(cluster.requests("create", "pods", "eviction", null)).isEqualTo(3);
    }

    /**
     * The acceptance scenario: five leaking replicas behind a PDB with maxUnavailable 1 and
     * maxConcurrent 1. Never more than one pod is disrupted, each is restarted as the replacement of
     * the previous one becomes Ready, and every refusal is visible as an Event.
     */
    @Test
    void fiveLeakingReplicasAreRestartedOneAtATime() {
        ReplicaSet replicaSet = cluster.deployment("web", 5, "RollingUpdate", "1");
        cluster.budget("web-pdb", "web", null, "1");
        RestartSettings s = settings(ActionType.Evict, false, 1, Duration.ZERO, 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);
        List<String> leaking = new ArrayList<>(List.of("web-0", "web-1", "web-2", "web-3", "web-4"));

        for (int round = 0; round < 5; round++) {
            String restarted = null;
            for (String name : List.copyOf(leaking)) {
                RestartOutcome o = restarter.requestRestart(policy, s, cluster.pod(name), WHY);
                assertThat(cluster.readyPods("web")).as("never more than one pod disrupted").isGreaterThanOrEqualTo(4);
                if (o.result() == RestartOutcome.Result.done) {
                    assertThat(restarted).as("one restart per round").isNull();
                    restarted = name;
                } else {
                    assertThat(o.rule()).isEqualTo("max-concurrent");
                }
            }
            assertThat(restarted).as("round %d restarted a pod", round).isNotNull();
            leaking.remove(restarted);
            // The ReplicaSet controller's work: a Ready replacement.
            cluster.pod("web-new-" + round, replicaSet, Map.of());
            assertThat(cluster.readyPods("web")).isEqualTo(5);
        }

        assertThat(leaking).isEmpty();
        assertThat(cluster.requests("create", "pods", "eviction", null)).isEqualTo(5);
        assertThat(cluster.events(EventReason.Evicted)).hasSize(5);
        assertThat(cluster.events(EventReason.RestartBlocked)).extracting(Event::getMessage)
                .isNotEmpty().allSatisfy(m -> assertThat(m).contains("max-concurrent"));
        assertThat(restarter.score(cluster.reread(policy)).restarts()).isEqualTo(5);
    }

    @Test
    void withoutAConcurrencyLimitTheDisruptionBudgetStillHoldsAndSaysSo() {
        cluster.deployment("web", 5, "RollingUpdate", "1");
        cluster.budget("web-pdb", "web", null, "1");
        RestartSettings s = settings(ActionType.Evict, false, 5, Duration.ZERO, 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        List<String> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            RestartOutcome o = restarter.requestRestart(policy, s, cluster.pod("web-" + i), WHY);
            results.add(o.result() == RestartOutcome.Result.done ? "done" : o.rule());
            assertThat(cluster.readyPods("web")).isGreaterThanOrEqualTo(4);
        }

        assertThat(results).containsExactly("done", "disruption-budget", "disruption-budget", "disruption-budget",
                "disruption-budget");
        assertThat(cluster.events(EventReason.RestartBlocked)).hasSize(4)
                .allSatisfy(e -> assertThat(e.getMessage()).contains("web-pdb"));
        assertThat(restarter.score(cluster.reread(policy)).restarts()).isEqualTo(1);
    }

    @Test
    void aNewLeaderNeitherEvictsThePodAgainNorBreaksTheCooldown() {
        ReplicaSet replicaSet = cluster.deployment("web", 3, "RollingUpdate", "1");
        // A finalizer keeps the evicted pod terminating, as a real graceful shutdown would.
        cluster.client.pods().inNamespace(NS).withName("web-0").edit(p -> new PodBuilder(p)
                .editMetadata().withFinalizers("example.com/drain").endMetadata().build());
        RestartSettings s = settings(ActionType.Evict, false, 1, Duration.ofMinutes(10), 10);
        LeakPolicy policy = policy(s);
        Pod leaking = cluster.pod("web-0");

        RestartCluster.Door first = cluster.door(metrics, Duration.ZERO, 100);
        assertThat(first.requestRestart(policy, s, leaking, WHY).result()).isEqualTo(RestartOutcome.Result.done);
        assertThat(cluster.pod("web-0").getMetadata().getDeletionTimestamp()).isNotNull();

        RestartCluster.Door second = cluster.door(metrics, Duration.ofMinutes(1), 100);
        assertThat(second.requestRestart(policy, s, leaking, WHY).rule()).isEqualTo("terminating");
        assertThat(second.requestRestart(policy, s, cluster.pod("web-1"), WHY).rule()).isEqualTo("max-concurrent");

        cluster.client.pods().inNamespace(NS).withName("web-0")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":[]}}");
        cluster.pod("web-3", replicaSet, Map.of());
        RestartCluster.Door third = cluster.door(metrics, Duration.ofMinutes(5), 100);
        assertThat(third.requestRestart(policy, s, cluster.pod("web-1"), WHY).rule()).isEqualTo("cooldown");

        RestartCluster.Door afterCooldown = cluster.door(metrics, Duration.ofMinutes(11), 100);
        assertThat(afterCooldown.requestRestart(policy, s, cluster.pod("web-1"), WHY).result())
                .isEqualTo(RestartOutcome.Result.done);
        assertThat(cluster.requests("create", "pods", "eviction", "web-0")).isEqualTo(1);
        assertThat(afterCooldown.score(cluster.reread(policy)).restarts()).isEqualTo(2);
    }

    @Test
    void aWorkloadRestartedMoreThanThreeTimesInAnHourIsARestartLoop() {
        cluster.deployment("web", 5, "RollingUpdate", "1");
        RestartSettings s = settings(ActionType.Evict, false, 10, Duration.ZERO, 10);
        LeakPolicy policy = policy(s);
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        for (int i = 0; i < 3; i++) {
            assertThat(restarter.requestRestart(policy, s, cluster.pod("web-" + i), WHY).result()).isEqualTo(RestartOutcome.Result.done);
        }
        assertThat(metrics.restartLoops()).isZero();
        assertThat(restarter.requestRestart(policy, s, cluster.pod("web-3"), WHY).result()).isEqualTo(RestartOutcome.Result.done);

        assertThat(metrics.restartLoops()).isEqualTo(1);
        assertThat(cluster.events(EventReason.RestartLoop)).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("Deployment");
            assertThat(e.getMessage()).contains("4 times", "restarts only buy time; fix the leak");
        });
    }

    private static int indexOf(List<ApiRequest> requests, String verb, String resource, String subresource, String name) {
        for (int i = 0; i < requests.size(); i++) {
            if (RestartCluster.matches(requests.get(i), verb, resource, subresource, name)) {
                return i;
            }
        }
        return -1;
    }
}
