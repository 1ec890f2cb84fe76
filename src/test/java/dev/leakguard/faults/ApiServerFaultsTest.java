package dev.leakguard.faults;

import static dev.leakguard.faults.FaultCluster.NS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.faults.FaultCluster.RunningOperator;
import dev.leakguard.faults.FaultInjectingDispatcher.Fault;
import dev.leakguard.testing.Poll;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The operator against an API server in trouble: watches that drop or expire, 5xx and 429 answers
 * on the calls it makes, answers lost after the server acted, and slow answers. Each test injects
 * the trouble after the operator is running, then checks that it recovers, repeats no action, and
 * counts what it could not do.
 */
class ApiServerFaultsTest {
    private static final String POLICIES = "/apis/leakguard\\.dev/v1alpha1/namespaces/shop/leakpolicies";
    private static final String ANY_WATCH = "/.*";
    private static final String POLICY_WATCH = ".*/leakpolicies";
    private static final String POD_WATCH = ".*/pods";
    private final FaultCluster cluster = new FaultCluster();

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void informersRecoverFromDroppedWatchesAndSeeWhatChangedMeanwhile() {
        SimulatedContainer steady = cluster.container(SimulatedContainer.Behaviour.GO_STEADY, 1);
        cluster.startOperator(FaultCluster.settings().build());
        Poll.until(Duration.ofSeconds(20), () -> cluster.dispatcher.openWatches(POLICY_WATCH) > 0
                && cluster.dispatcher.openWatches(POD_WATCH) > 0, "the operator's watches");

        Fault refused = cluster.dispatcher.fail("WATCH", ANY_WATCH, 500, 0, -1);
        assertThat(cluster.dispatcher.dropWatches()).isGreaterThanOrEqualTo(2);
        cluster.pod("steady-1", null, steady, Map.of("app", "steady"));
        cluster.createPolicy("made-while-down", """
                selector: {matchLabels: {app: steady}}
                metrics: {port: metrics}
                """);
        Poll.until(Duration.ofSeconds(20), () -> refused.hits() >= 2, "watch reconnects refused");
        cluster.dispatcher.remove(refused);

        LeakPolicy policy = Poll.until(Duration.ofSeconds(40), () -> cluster.policy("made-while-down"),
                p -> p.getStatus() != null && Integer.valueOf(1).equals(p.getStatus().getWatched()),
                "status of the policy created while the watches were down, watching the pod created meanwhile");
        assertThat(policy.getStatus().getConditions()).singleElement()
                .satisfies(c -> assertThat(c.getReason()).isEqualTo("Watching"));
    }

    @Test
    void aWatchExpiredWith410GoneListsAgainThroughFailingLists() {
        cluster.startOperator(FaultCluster.settings().build());
        Poll.until(Duration.ofSeconds(20), () -> cluster.dispatcher.openWatches(POLICY_WATCH) > 0, "the policy watch");

        // A real API server ends the watch with an ERROR event; the next watch from the old version gets 410 too.
        // The lists that follow fail too at first: 500s, then 429s asking to wait a second.
        Fault stale = cluster.dispatcher.fail("WATCH", ANY_WATCH, 410, 0, 2);
        Fault listFailing = cluster.dispatcher.fail("GET", ".*/leakpolicies", 500, 0, 4);
        Fault listThrottled = cluster.dispatcher.fail("GET", ".*/leakpolicies", 429, 1, 2);
        assertThat(cluster.dispatcher.expireWatches()).isGreaterThanOrEqualTo(1);
        cluster.createPolicy("made-after-expiry", """
                selector: {matchLabels: {app: nothing-yet}}
                metrics: {port: metrics}
                """);

        LeakPolicy policy = Poll.until(Duration.ofSeconds(40), () -> cluster.policy("made-after-expiry"),
                p -> p.getStatus() != null && p.getStatus().getConditions() != null, "status after the relist");
        assertThat(policy.getStatus().getConditions().get(0).getReason()).isEqualTo("NoPodsSelected");
        assertThat(stale.hits()).isPositive();
        assertThat(listFailing.hits()).as("failed lists").isEqualTo(4);
        assertThat(listThrottled.hits()).as("throttled lists").isEqualTo(2);
        // After eight failures in a row fabric8's reconnect backoff has grown to its cap (1 s doubled up to 32 s).
        Poll.until(Duration.ofSeconds(45), () -> cluster.dispatcher.openWatches(POLICY_WATCH) > 0, "the policy watch again");
    }

    /**
     * The status patch fails for longer than JOSDK's default retry budget (5 attempts, then it gives
     * up until the next event). A policy selecting no pods has no next event: only a retry that never
     * gives up brings its status.
     */
    @ParameterizedTest(name = "{0} with Retry-After {1}")
    @CsvSource({"500, 0", "429, 1"})
    void statusCatchesUpAfterPatchFailures(int code, int retryAfterSeconds) {
        cluster.startOperator(FaultCluster.settings().build());
        Fault failing = cluster.dispatcher.fail("PATCH", POLICIES + "/quiet/status", code, retryAfterSeconds, -1);
        cluster.createPolicy("quiet", """
                selector: {matchLabels: {app: nothing}}
                metrics: {port: metrics}
                """);
        Poll.until(Duration.ofSeconds(45), () -> failing.hits() >= 24, "status patches beyond JOSDK's default retry budget");
        assertThat(cluster.policy("quiet").getStatus()).isNull();

        cluster.dispatcher.remove(failing);

        LeakPolicy policy = Poll.until(Duration.ofSeconds(20), () -> cluster.policy("quiet"),
                p -> p.getStatus() != null && p.getStatus().getConditions() != null, "status once patches succeed");
        assertThat(policy.getStatus().getConditions().get(0).getReason()).isEqualTo("NoPodsSelected");
        assertThat(policy.getStatus().getObservedGeneration()).isEqualTo(policy.getMetadata().getGeneration());
    }

    @Test
    void eventsThatCannotBeWrittenAreCountedAndLogged() {
        SimulatedContainer leaking = cluster.container(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, 1);
        cluster.pod("leaky", null, leaking, Map.of("app", "checkout"));
        RunningOperator operator = cluster.startOperator(FaultCluster.settings().build());
        Fault refused = cluster.dispatcher.fail("POST", "/api/v1/namespaces/shop/events", 500, 0, -1);
        PrintStream originalErr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            cluster.createPolicy("checkout", """
                    selector: {matchLabels: {app: checkout}}
                    metrics: {port: metrics, threads: go_goroutines}
                    action: {type: Annotate}
                    """);
            Poll.until(Duration.ofSeconds(30), () -> operator.counter("leakguard_events_failed", "reason", "OOMPredicted") >= 1,
                    "a failed OOMPredicted event counted");
            operator.operator().events().flush(10_000);
        } finally {
            System.setErr(originalErr);
        }
        assertThat(refused.hits()).as("the client's own retries happened too").isGreaterThanOrEqualTo(3);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("could not write event OOMPredicted");
        assertThat(operator.counter("leakguard_events", "reason", "OOMPredicted")).isZero();
        assertThat(cluster.events("leaky")).isEmpty();

        cluster.dispatcher.remove(refused);
        // The pod is still annotated: an Event outage does not stop the rest of the pipeline.
        Pod leaky = Poll.until(Duration.ofSeconds(10), () -> cluster.pod("leaky"),
                p -> "leaking".equals(p.getMetadata().getAnnotations().get(PodAnnotations.VERDICT)), "leaky annotated");
        assertThat(leaky).isNotNull();
    }

    /**
     * The eviction call answers 500, then 429, then 500 after the server did evict the pod (the
     * answer was lost). Two pods of the same Deployment leak; maxConcurrent 1 and the cooldown
     * allow one eviction. Exactly one pod must be evicted, once, and counted once.
     */
    @Test
    void evictionErrorsNeverLeadToASecondEviction() {
        ReplicaSet checkout = cluster.workload(NS, "checkout", 4);
        for (int i = 0; i < 2; i++) {
            cluster.pod("leaky-" + i, checkout, cluster.container(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, i), Map.of());
            cluster.pod("steady-" + i, checkout, cluster.container(SimulatedContainer.Behaviour.GO_STEADY, 10 + i), Map.of());
        }
        String evictions = "/api/v1/namespaces/shop/pods/[^/]+/eviction";
        Fault serverError = cluster.dispatcher.fail("POST", evictions, 500, 0, 1);
        Fault throttled = cluster.dispatcher.fail("POST", evictions, 429, 1, 1);
        Fault lostAnswer = cluster.dispatcher.failAfterActing("POST", evictions, 500, 1);
        RunningOperator operator = cluster.startOperator(FaultCluster.settings().build());
        cluster.createPolicy("checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics, threads: go_goroutines}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """);

        Poll.until(Duration.ofSeconds(40), () -> lostAnswer.hits() == 1, "an eviction whose answer was lost");
        assertThat(serverError.hits()).isEqualTo(1);
        assertThat(throttled.hits()).isEqualTo(1);
        String evicted = cluster.pod("leaky-0") == null ? "leaky-0" : "leaky-1";
        String survivor = evicted.equals("leaky-0") ? "leaky-1" : "leaky-0";
        assertThat(cluster.pod(evicted)).isNull();

        // The survivor keeps leaking and keeps asking the restart door, which must say no.
        Poll.until(Duration.ofSeconds(20), () -> operator.counter("leakguard_actions", "type", "evict", "result", "blocked") >= 3,
                "later restart requests blocked");
        assertThat(cluster.pod(survivor)).isNotNull();
        assertThat(cluster.evictions(survivor)).isZero();
        assertThat(cluster.evictions(evicted)).isEqualTo(1);
        LeakPolicy policy = Poll.until(Duration.ofSeconds(10), () -> cluster.policy("checkout"),
                p -> p.getStatus() != null && p.getStatus().getRestarts() != null && p.getStatus().getRestarts() == 1,
                "the eviction counted once in status");
        assertThat(policy.getMetadata().getAnnotations().get("leakguard.dev/restart-ledger")).contains(evicted);
    }

    @Test
    void slowApiAnswersDoNotStallScraping() {
        SimulatedContainer leaking = cluster.container(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, 1);
        SimulatedContainer steady = cluster.container(SimulatedContainer.Behaviour.GO_STEADY, 2);
        cluster.pod("leaky", null, leaking, Map.of("app", "checkout"));
        cluster.pod("steady", null, steady, Map.of("app", "checkout"));
        RunningOperator operator = cluster.startOperator(FaultCluster.settings().build());
        Duration slow = Duration.ofSeconds(3);
        cluster.dispatcher.delay("PATCH", "/api/v1/namespaces/shop/pods/.*", slow, -1);
        cluster.dispatcher.delay("POST", "/api/v1/namespaces/shop/events", slow, -1);
        cluster.dispatcher.delay("PATCH", POLICIES + "/.*", slow, -1);
        cluster.dispatcher.delay("GET", "/api/v1/namespaces/shop/.*", slow, -1);
        cluster.createPolicy("checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics, threads: go_goroutines}
                action: {type: Annotate}
                """);
        Poll.until(Duration.ofSeconds(20), () -> scrapes(operator) > 0, "scraping started");

        double before = scrapes(operator);
        // About 15 s here; queueing a stale annotation patch per 25 ms scrape made it minutes.
        Pod leaky = Poll.until(Duration.ofSeconds(30), () -> cluster.pod("leaky"),
                p -> p.getMetadata().getAnnotations() != null
                        && "leaking".equals(p.getMetadata().getAnnotations().get(PodAnnotations.VERDICT)),
                "the leaking pod annotated despite 3 s answers");
        // While each write took seconds, both loops kept their 25 ms beat (a stalled loop would add one per 3 s).
        assertThat(scrapes(operator) - before).isGreaterThan(100);
        assertThat(leaky.getMetadata().getAnnotations()).containsKey(PodAnnotations.SECONDS_TO_LIMIT);
        List<Event> events = Poll.until(Duration.ofSeconds(20), () -> cluster.events("leaky", "OOMPredicted"),
                e -> !e.isEmpty(), "the OOMPredicted event, late");
        assertThat(events).hasSize(1);
    }

    private static double scrapes(RunningOperator operator) {
        return operator.counter("leakguard_scrapes", "result", "success");
    }
}
