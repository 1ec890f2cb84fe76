package dev.leakguard.faults;

import static dev.leakguard.faults.FaultCluster.NS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.AnnotationLedgerStore;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.faults.FaultCluster.RunningOperator;
import dev.leakguard.testing.Poll;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An operator that stops in the middle of a restart: the next instance reads what was done from the
 * cluster (the policy's restart ledger) and neither evicts a second pod within the cooldown nor counts
 * the eviction twice. (A leader that goes away is proven on the real API server: LeaderElectionTest.)
 *
 * <p>Two pods of one Deployment leak; the policy allows one restart in flight and a 10m cooldown,
 * so exactly one eviction is justified however many operators come and go.
 */
class OperatorRestartTest {
    private static final String EVICTIONS = "/api/v1/namespaces/shop/pods/[^/]+/eviction";
    private final FaultCluster cluster = new FaultCluster();

    @BeforeEach
    void twoLeakingPodsOfOneDeployment() {
        ReplicaSet checkout = cluster.workload(NS, "checkout", 4);
        for (int i = 0; i < 2; i++) {
            cluster.pod("leaky-" + i, checkout, cluster.container(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, i), Map.of());
            cluster.pod("steady-" + i, checkout, cluster.container(SimulatedContainer.Behaviour.GO_STEADY, 10 + i), Map.of());
        }
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void anOperatorStoppedWhileItsEvictionIsInFlightIsNotFollowedByASecondEviction() {
        // The API server evicts at once but answers two seconds later: the operator is stopped while it waits.
        cluster.dispatcher.delay("POST", EVICTIONS, Duration.ofSeconds(2), -1);
        RunningOperator first = cluster.startOperator(FaultCluster.settings().build());
        createPolicy();
        Poll.until(Duration.ofSeconds(40), () -> cluster.evictions(null) == 1, "the first operator's eviction request");
        first.close();

        RunningOperator second = cluster.startOperator(FaultCluster.settings().build());
        assertOneEvictionAndTheSecondOperatorHoldsBack(second);
    }

    private void assertOneEvictionAndTheSecondOperatorHoldsBack(RunningOperator second) {
        Poll.until(Duration.ofSeconds(40), () -> second.counter("leakguard_actions", "type", "evict", "result", "blocked") >= 3,
                "the second operator asking the restart door and being refused");
        assertThat(cluster.evictions(null)).isEqualTo(1);
        assertThat(second.counter("leakguard_actions", "type", "evict", "result", "done")).isZero();
        long survivors = cluster.client.pods().inNamespace(NS).list().getItems().stream()
                .filter(p -> p.getMetadata().getName().startsWith("leaky-")).count();
        assertThat(survivors).isEqualTo(1);
        LeakPolicy policy = Poll.until(Duration.ofSeconds(10), () -> cluster.policy("checkout"),
                p -> p.getStatus() != null && p.getStatus().getRestarts() != null && p.getStatus().getRestarts() == 1,
                "one restart in status");
        assertThat(policy.getMetadata().getAnnotations().get(AnnotationLedgerStore.LEDGER_ANNOTATION)).containsOnlyOnce("\"pod\":");
        // Status refreshes every 500 ms; a double count would show within a few refreshes.
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
            assertThat(cluster.policy("checkout").getStatus().getRestarts()).isEqualTo(1);
            pause(Duration.ofMillis(200));
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void createPolicy() {
        cluster.createPolicy("checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics, threads: go_goroutines}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """);
    }
}
