package dev.leakguard.faults;

import static dev.leakguard.faults.FaultCluster.NS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.faults.FaultCluster.RunningOperator;
import dev.leakguard.faults.FaultInjectingDispatcher.Fault;
import dev.leakguard.testing.Poll;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * API Priority and Fairness sheds an eviction with 429 and a Retry-After but no PodDisruptionBudget cause — a
 * real server cannot be made to do that on cue, so the fault is injected here. leakguard must tell it apart
 * from a budget's refusal: its own Event reason and metric result, one Event for the whole episode, and no
 * retry before the server's Retry-After, even when that is longer than its own backoff.
 */
class EvictionThrottledTest {
    /** 3000 simulated seconds: five real seconds on the 600x clock, far longer than the first five backoff steps together. */
    private static final int RETRY_AFTER_SECONDS = 3000;
    private final FaultCluster cluster = new FaultCluster();

    @AfterEach
    void close() {
        cluster.close();
    }

    @Test
    void aThrottledEvictionIsToldApartFromABudgetAndRetriedNoSoonerThanTheServerAsked() throws InterruptedException {
        ReplicaSet checkout = cluster.workload(NS, "checkout", 2);
        cluster.pod("leaky-0", checkout, cluster.container(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, 1), Map.of());
        cluster.pod("steady-0", checkout, cluster.container(SimulatedContainer.Behaviour.GO_STEADY, 2), Map.of());
        Fault throttled = cluster.dispatcher.fail("POST", "/api/v1/namespaces/shop/pods/[^/]+/eviction", 429, RETRY_AFTER_SECONDS, -1);
        RunningOperator operator = cluster.startOperator(FaultCluster.settings().build());
        cluster.createPolicy("checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics, threads: go_goroutines}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """);

        Poll.until(Duration.ofSeconds(60), () -> throttled.hits() >= 1, "the first, throttled, eviction");
        // Without Retry-After the door's own backoff (30s, 60s, 120s, 240s, 480s simulated: 1.6 real seconds) would have
        // tried five more times by now.
        Thread.sleep(2500);
        assertThat(throttled.hits()).as("eviction attempts before the Retry-After ran out").isEqualTo(1);
        Poll.until(Duration.ofSeconds(20), () -> throttled.hits() >= 2, "the retry after Retry-After");
        cluster.dispatcher.remove(throttled);
        Poll.until(Duration.ofSeconds(30), () -> cluster.pod("leaky-0") == null, "the eviction once the server accepts it");

        List<Event> told = cluster.events("leaky-0", "EvictionThrottled");
        assertThat(told).as("one Event for the whole episode").singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("429 without a PodDisruptionBudget cause")
                        .contains("Retry-After " + RETRY_AFTER_SECONDS + "s"));
        assertThat(told.get(0).getCount()).isEqualTo(1);
        assertThat(cluster.events("leaky-0", "RestartBlocked")).as("not reported as a budget's refusal").isEmpty();
        assertThat(operator.counter("leakguard_actions", "type", "evict", "result", "throttled")).isGreaterThanOrEqualTo(2);
        assertThat(operator.counter("leakguard_actions", "type", "evict", "result", "pdb_blocked")).isZero();
        assertThat(operator.counter("leakguard_actions", "type", "evict", "result", "done")).isEqualTo(1);
    }
}
