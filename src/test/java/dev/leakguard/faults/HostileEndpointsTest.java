package dev.leakguard.faults;

import static dev.leakguard.faults.FaultCluster.NS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.PodRisk;
import dev.leakguard.demo.ApiRequest;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.faults.FaultCluster.RunningOperator;
import dev.leakguard.faults.HostileEndpoint.Behaviour;
import dev.leakguard.testing.Poll;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile and broken metrics endpoints, end to end through the operator with its default limits
 * (10 MiB bodies, 10 s per scrape): each such pod shows up in status as {@code unknown} with the
 * reason, is counted in {@code leakguard_scrapes_total{result}}, and gets no Event, annotation of a
 * leak or eviction; a leaking pod of the same Deployment, next to them, is still found and evicted.
 */
class HostileEndpointsTest {
    /** The scrape result and a piece of the status message each behaviour must produce. */
    private static final Map<Behaviour, Expected> EXPECTED = new EnumMap<>(Map.ofEntries(
            Map.entry(Behaviour.OVERSIZED, new Expected("transport", "too_large", "larger than 10485760 bytes")),
            Map.entry(Behaviour.SLOW_DRIP, new Expected("transport", "timeout", "no complete response within 10s")),
            Map.entry(Behaviour.REDIRECT, new Expected("transport", "redirect", "redirect 302")),
            // The first scrape fails inside the JDK client ("exchange failed: ProtocolException …"), later ones on the sniff.
            Map.entry(Behaviour.GARBAGE, new Expected("transport", "connection", "not HTTP: the answer starts with")),
            Map.entry(Behaviour.GZIP_BOMB, new Expected("transport", "too_large", "larger than 10485760 bytes")),
            Map.entry(Behaviour.SERVER_ERROR, new Expected("transport", "http_status", "HTTP status 500")),
            Map.entry(Behaviour.MALFORMED, new Expected("content", "parse_error", "malformed metrics")),
            Map.entry(Behaviour.NAN, new Expected("content", "parse_error", "unusable value NaN")),
            Map.entry(Behaviour.PLUS_INF, new Expected("content", "parse_error", "unusable value Infinity")),
            Map.entry(Behaviour.MINUS_INF, new Expected("content", "parse_error", "unusable value -Infinity")),
            Map.entry(Behaviour.NEGATIVE, new Expected("content", "parse_error", "unusable value -5.0E8")),
            Map.entry(Behaviour.DUPLICATE_SERIES, new Expected("content", "parse_error", "duplicate series")),
            Map.entry(Behaviour.HUGE_LABEL_VALUE, new Expected("content", "parse_error", "longer than 16384 bytes")),
            Map.entry(Behaviour.FLAPPING, new Expected("content", "parse_error", "malformed metrics"))));

    private record Expected(String group, String result, String message) {
    }

    private final FaultCluster cluster = new FaultCluster();

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void hostileEndpointsAreUnknownCountedAndNeverActedOnWhileALeakNextToThemIsEvicted() {
        Canary elsewhere = cluster.closeLater(new Canary());
        ReplicaSet shop = cluster.workload(NS, "shop", Behaviour.values().length + 2);
        Map<Behaviour, HostileEndpoint> endpoints = new EnumMap<>(Behaviour.class);
        for (Behaviour behaviour : EXPECTED.keySet()) {
            HostileEndpoint endpoint = cluster.closeLater(new HostileEndpoint(behaviour, elsewhere.port()));
            endpoints.put(behaviour, endpoint);
            cluster.pod(NS, podName(behaviour), shop, endpoint.port(), Map.of("group", EXPECTED.get(behaviour).group()),
                    cluster.clock.millis());
        }
        HostileEndpoint liar = cluster.closeLater(new HostileEndpoint(Behaviour.BEYOND_LIMIT, elsewhere.port()));
        cluster.pod(NS, podName(Behaviour.BEYOND_LIMIT), shop, liar.port(), Map.of("group", "implausible"), cluster.clock.millis());
        cluster.pod("leaky", shop, cluster.container(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, 1), Map.of("group", "checkout"));
        cluster.pod("steady", shop, cluster.container(SimulatedContainer.Behaviour.GO_STEADY, 2), Map.of("group", "checkout"));
        RunningOperator operator = cluster.startOperator(FaultCluster.settings().build());
        long heapBefore = usedHeapAfterGc();
        // Any leak verdict would be acted on at once: no cooldown, ten restarts in flight.
        for (String group : List.of("transport", "content", "implausible")) {
            cluster.createPolicy(group, """
                    selector: {matchLabels: {group: %s}}
                    metrics: {port: metrics, interval: 5m}
                    detection: {window: 60m, warmup: 5m, horizon: 15m}
                    action: {type: Evict, maxConcurrent: 10, cooldown: 1s}
                    """.formatted(group));
        }
        cluster.createPolicy("checkout", """
                selector: {matchLabels: {group: checkout}}
                metrics: {port: metrics, threads: go_goroutines}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """);

        for (Behaviour behaviour : EXPECTED.keySet()) {
            Expected expected = EXPECTED.get(behaviour);
            PodRisk risk = Poll.until(Duration.ofSeconds(40), () -> risk(expected.group(), podName(behaviour)),
                    r -> r != null && "unknown".equals(r.getVerdict()) && r.getMessage().contains(expected.message()),
                    behaviour + " unknown in status with '" + expected.message() + "'");
            assertThat(risk.getMemory()).isNull();
            assertThat(risk.getTimeToLimit()).isNull();
            assertThat(operator.counter("leakguard_scrapes", "policy", expected.group(), "result", expected.result()))
                    .as("scrapes counted as " + expected.result()).isPositive();
        }
        assertThat(operator.counter("leakguard_scrapes", "policy", "content", "result", "success"))
                .as("the flapping endpoint's valid answers").isPositive();

        Poll.until(Duration.ofSeconds(40), () -> cluster.evictions("leaky") == 1, "the leaking pod evicted");
        assertThat(cluster.events("leaky", "OOMPredicted")).hasSize(1);
        for (Behaviour behaviour : Behaviour.values()) {
            String pod = podName(behaviour);
            assertThat(cluster.evictions(pod)).as(pod + " evicted").isZero();
            assertThat(cluster.events(pod)).as(pod + " events").extracting(Event::getReason)
                    .doesNotContainAnyElementsOf(Set.of("OOMPredicted", "LeakSuspected", "Evicted", "RolloutRestarted"));
            Map<String, String> annotations = cluster.pod(pod).getMetadata().getAnnotations();
            // A pod never suspected carries no verdict annotation at all (PodAnnotations.shouldWrite).
            assertThat(annotations.get("leakguard.dev/verdict")).as(pod + " verdict").isNotIn("suspect", "leaking");
            assertThat(annotations).as(pod + " annotations").doesNotContainKeys("leakguard.dev/evidence",
                    "leakguard.dev/restart-requested-at");
        }
        // A flat value ten times the limit is a lie no container can tell; flat, it is no leak either.
        LeakPolicy implausible = cluster.policy("implausible");
        assertThat(implausible.getStatus().getWatched()).isEqualTo(1);
        assertThat(operator.counter("leakguard_scrapes", "policy", "implausible", "result", "success")).isPositive();
        for (String group : List.of("transport", "content", "implausible")) {
            assertThat(operator.counter("leakguard_actions", "policy", group)).as(group + " actions").isZero();
            assertThat(cluster.policy(group).getStatus().getLeaking()).isZero();
        }
        assertThat(elsewhere.hits()).as("requests following the redirect").isZero();
        assertThat(endpoints.get(Behaviour.OVERSIZED).requests()).as("the oversized endpoint scraped again and again").isGreaterThan(3);
        // Every oversized and bomb scrape held up to 10 MiB; none of it may stay.
        assertThat(usedHeapAfterGc() - heapBefore).as("heap growth in bytes").isLessThan(64L << 20);
    }

    /**
     * The profile answers two seconds late while the pod is already leaking and every 25 ms scrape
     * says so: the eviction must still wait until the evidence ConfigMap holds that profile.
     */
    @Test
    void aSlowProfileHoldsTheEvictionUntilTheEvidenceIsKept() {
        long started = cluster.clock.millis();
        ScriptedEndpoint slowProfile = cluster.closeLater(new ScriptedEndpoint(Map.of(
                "/metrics", ScriptedEndpoint.leakingMemory(cluster.clock, started),
                "/debug/pprof/goroutine", () -> {
                    pause(Duration.ofSeconds(2));
                    return "goroutine profile: total 3\n3 @ 0x43a1b6 0x46ce41\n#\t0x6f2f84\tmain.leak+0xd4\t/src/main.go:9\n\n";
                })));
        ReplicaSet app = cluster.workload(NS, "checkout", 2);
        cluster.pod(NS, "slow-profile", app, slowProfile.port(), Map.of(), started);
        cluster.pod("steady", app, cluster.container(SimulatedContainer.Behaviour.GO_STEADY, 2), Map.of());
        cluster.startOperator(FaultCluster.settings().build());
        cluster.createPolicy("checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics}
                profile: {type: go}
                action: {type: Evict}
                """);

        Poll.until(Duration.ofSeconds(40), () -> cluster.evictions("slow-profile") == 1, "the eviction");
        List<ApiRequest> requests = cluster.dispatcher.requests();
        int evidence = indexOf(requests, "create", "configmaps", null);
        int eviction = indexOf(requests, "create", "pods", "slow-profile");
        assertThat(evidence).as("evidence ConfigMap written").isNotNegative().isLessThan(eviction);
        assertThat(cluster.client.configMaps().inNamespace(NS).withName("leakguard-evidence-slow-profile").get().getBinaryData())
                .containsKey("profile.txt.gz");
    }

    private static int indexOf(List<ApiRequest> requests, String verb, String resource, String name) {
        for (int i = 0; i < requests.size(); i++) {
            ApiRequest r = requests.get(i);
            if (r.call().verb().equals(verb) && r.call().resource().equals(resource) && (name == null || name.equals(r.name()))) {
                return i;
            }
        }
        return -1;
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private PodRisk risk(String policy, String pod) {
        LeakPolicy current = cluster.policy(policy);
        if (current == null || current.getStatus() == null || current.getStatus().getRiskiestPods() == null) {
            return null;
        }
        return current.getStatus().getRiskiestPods().stream().filter(r -> pod.equals(r.getPod())).findFirst().orElse(null);
    }

    private static String podName(Behaviour behaviour) {
        return behaviour.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
