package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.demo.ApiRequest;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.demo.EvictionAwareDispatcher;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPods;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole path on a real API server (fabric8 CRUD mock over HTTP) with real loopback metrics
 * endpoints: LeakPolicy → targets → scrape → detect → annotations, Events and status. Time runs
 * 300x faster on the operator's clock so an hour of leak takes twelve seconds.
 */
class OperatorIntegrationTest {
    private static final String NS = "shop";
    private final ScaledClock clock = ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), 300);
    private DemoApiServer api;
    private KubernetesClient client;
    private LeakguardOperator operator;
    private final MicrometerOperatorMetrics metrics = new MicrometerOperatorMetrics("test");
    private SimulatedContainer leaking;
    private SimulatedContainer steady;

    @BeforeEach
    void start() throws Exception {
        api = new DemoApiServer();
        client = api.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        leaking = new SimulatedContainer(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, clock, 1);
        steady = new SimulatedContainer(SimulatedContainer.Behaviour.GO_STEADY, clock, 2);
        client.pods().inNamespace(NS).resource(pod("checkout-leaky", leaking)).create();
        client.pods().inNamespace(NS).resource(pod("checkout-steady", steady)).create();
        operator = new LeakguardOperator(client, clock, metrics,
                LeakguardOperator.Settings.builder().statusRefresh(Duration.ofMillis(500).multipliedBy(300)).build());
        operator.start();
    }

    @AfterEach
    void stop() {
        if (operator != null) {
            operator.close();
        }
        leaking.close();
        steady.close();
        api.close();
    }

    @Test
    void growingPodIsAnnotatedAndAnnouncedWhileTheFlatOneIsLeftAlone() {
        client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics, interval: 15s, threads: go_goroutines}
                detection: {window: 30m, warmup: 5m, horizon: 15m}
                action: {type: Annotate}
                """)).create();

        Pod leaky = Poll.until(Duration.ofSeconds(30), () -> client.pods().inNamespace(NS).withName("checkout-leaky").get(),
                p -> "leaking".equals(TestPods.annotation(p, PodAnnotations.VERDICT)), "checkout-leaky annotated as leaking");
        assertThat(TestPods.annotation(leaky, PodAnnotations.SECONDS_TO_LIMIT)).matches("[0-9]+");
        assertThat(Double.parseDouble(TestPods.annotation(leaky, PodAnnotations.SECONDS_TO_LIMIT))).isLessThanOrEqualTo(15 * 60);
        assertThat(TestPods.annotation(leaky, PodAnnotations.MEMORY_GROWTH)).startsWith("+").endsWith("/min");

        List<Event> podEvents = Poll.until(Duration.ofSeconds(10), () -> TestEvents.about(client, NS, "checkout-leaky"),
                events -> events.stream().anyMatch(e -> "OOMPredicted".equals(e.getReason())), "an OOMPredicted event");
        Event oom = podEvents.stream().filter(e -> "OOMPredicted".equals(e.getReason())).findFirst().orElseThrow();
        assertThat(oom.getType()).isEqualTo("Warning");
        assertThat(oom.getMessage()).contains("Memory limit 512Mi (container spec) predicted in").contains("go_goroutines");

        LeakPolicy status = Poll.until(Duration.ofSeconds(10), () -> client.resources(LeakPolicy.class).inNamespace(NS).withName("checkout").get(),
                p -> p.getStatus() != null && p.getStatus().getLeaking() != null && p.getStatus().getLeaking() == 1, "status counting one leaking pod");
        assertThat(status.getStatus().getWatched()).isEqualTo(2);
        assertThat(status.getStatus().getObservedGeneration()).isEqualTo(status.getMetadata().getGeneration());
        assertThat(status.getStatus().getRiskiestPods()).first().satisfies(risk -> {
            assertThat(risk.getPod()).isEqualTo("checkout-leaky");
            assertThat(risk.getVerdict()).isEqualTo("leaking");
            assertThat(risk.getLimit()).isEqualTo("512Mi");
        });
        assertThat(status.getStatus().getRiskiestPods()).noneMatch(r -> r.getPod().equals("checkout-steady"));
        Condition ready = status.getStatus().getConditions().get(0);
        assertThat(ready.getType()).isEqualTo("Ready");
        assertThat(ready.getStatus()).isEqualTo("True");

        Pod flat = client.pods().inNamespace(NS).withName("checkout-steady").get();
        assertThat(TestPods.annotation(flat, PodAnnotations.VERDICT)).isIn(null, "healthy", "insufficient_data");
        assertThat(TestEvents.about(client, NS, "checkout-steady")).isEmpty();
        assertThat(TestEvents.about(client, NS, "checkout")).noneMatch(e -> "InvalidSpec".equals(e.getReason()));
        // Every successful reading is timed from its body to its decision.
        assertThat(metrics.registry().get("leakguard_decision_duration").tags("namespace", NS, "policy", "checkout").timer().count())
                .isPositive();
    }

    @Test
    void oomPredictedNamesTheGrowingGoroutineAndThreadGroupsAndEvidenceExistsBeforeTheEviction() throws Exception {
        try (SimulatedContainer jvm = new SimulatedContainer(SimulatedContainer.Behaviour.JVM_THREAD_POOL_LEAK, clock, 3)) {
            Pod billing = pod("billing-leaky", jvm);
            billing.getMetadata().setLabels(Map.of("app", "billing"));
            client.pods().inNamespace(NS).resource(billing).create();
            // The leaky checkout pod is owned by a ReplicaSet, so the Evict policy may evict it.
            client.pods().inNamespace(NS).withName("checkout-leaky").edit(p -> {
                p.getMetadata().setOwnerReferences(List.of(new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder()
                        .withApiVersion("apps/v1").withKind("ReplicaSet").withName("checkout-rs").withUid("rs-uid").withController(true).build()));
                return p;
            });
            client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "checkout", """
                    selector: {matchLabels: {app: checkout}}
                    metrics: {port: metrics, threads: go_goroutines}
                    profile: {type: go, topGroups: 3}
                    action: {type: Evict}
                    """)).create();
            client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "billing", """
                    selector: {matchLabels: {app: billing}}
                    metrics: {port: metrics, threads: jvm_threads_live_threads}
                    profile: {type: jvm}
                    """)).create();

            Event goOom = Poll.until(Duration.ofSeconds(40), () -> TestEvents.about(client, NS, "checkout-leaky").stream()
                    .filter(e -> "OOMPredicted".equals(e.getReason())).findFirst().orElse(null), e -> e != null, "OOMPredicted on the Go pod");
            assertThat(goOom.getMessage()).containsPattern("Top growing: \\+\\d+ goroutines gopkg.in/redis.v5/internal/pool.\\(\\*ConnPool\\).reaper");
            assertThat(goOom.getMessage().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024);
            Event jvmOom = Poll.until(Duration.ofSeconds(40), () -> TestEvents.about(client, NS, "billing-leaky").stream()
                    .filter(e -> "OOMPredicted".equals(e.getReason())).findFirst().orElse(null), e -> e != null, "OOMPredicted on the JVM pod");
            assertThat(jvmOom.getMessage()).containsPattern("Top growing: \\+\\d+ threads pool-N-thread-N");

            EvictionAwareDispatcher dispatcher = (EvictionAwareDispatcher) api.dispatcher();
            Poll.until(Duration.ofSeconds(20), () -> client.pods().inNamespace(NS).withName("checkout-leaky").get() == null,
                    "the leaking Go pod to be evicted");
            List<ApiRequest> requests = dispatcher.requests();
            int evidence = indexOf(requests, "create", "configmaps", "", "leakguard-evidence-checkout-leaky");
            int eviction = indexOf(requests, "create", "pods", "eviction", "checkout-leaky");
            assertThat(evidence).as("evidence written").isNotNegative();
            assertThat(eviction).as("eviction requested").isNotNegative();
            assertThat(evidence).as("evidence before the eviction request").isLessThan(eviction);
            ConfigMap stored = client.configMaps().inNamespace(NS).withName("leakguard-evidence-checkout-leaky").get();
            assertThat(stored.getBinaryData()).containsKeys("profile.txt.gz", "metrics.txt.gz");
            String profile = new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(
                    java.util.Base64.getDecoder().decode(stored.getBinaryData().get("profile.txt.gz")))).readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
            assertThat(profile).startsWith("goroutine profile: total").contains("(*ConnPool).reaper");
            assertThat(stored.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(owner -> assertThat(owner.getKind()).isEqualTo("LeakPolicy"));
        }
    }

    private static int indexOf(List<ApiRequest> requests, String verb, String resource, String subresource, String name) {
        for (int i = 0; i < requests.size(); i++) {
            ApiRequest r = requests.get(i);
            if (r.call().verb().equals(verb) && r.call().resource().equals(resource) && r.call().subresource().equals(subresource)
                    && (name.equals(r.name()) || "create".equals(verb) && "configmaps".equals(resource) && r.name() == null)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void invalidPolicyIsReportedInStatusAndEventAndScrapesNothing() {
        client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "broken", """
                selector: {}
                metrics: {port: metrics, interval: 15s}
                detection: {window: 10m, horizon: 20m}
                """)).create();

        LeakPolicy broken = Poll.until(Duration.ofSeconds(20), () -> client.resources(LeakPolicy.class).inNamespace(NS).withName("broken").get(),
                p -> p.getStatus() != null && !p.getStatus().getConditions().isEmpty(), "status on the broken policy");
        Condition ready = broken.getStatus().getConditions().get(0);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("InvalidSpec");
        assertThat(ready.getMessage()).contains("spec.selector must not be empty").contains("must be shorter than spec.detection.window");
        assertThat(broken.getStatus().getWatched()).isZero();
        List<Event> events = Poll.until(Duration.ofSeconds(10), () -> TestEvents.about(client, NS, "broken"), e -> !e.isEmpty(), "an InvalidSpec event");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("InvalidSpec");
            assertThat(e.getType()).isEqualTo("Warning");
        });
        assertThat(operator.snapshot()).doesNotContainKey(new PolicyKey(NS, "broken"));
    }

    @Test
    void deletingAPolicyStopsItsLoopsAndRemovesItsSeries() {
        client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "short-lived", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics}
                """)).create();
        Poll.until(Duration.ofSeconds(20), () -> operator.snapshot().getOrDefault(new PolicyKey(NS, "short-lived"), List.of()).size() == 2,
                "both pods watched");
        Poll.until(Duration.ofSeconds(20), () -> metrics.scrape().contains("policy=\"short-lived\""), "per-pod series exported");

        client.resources(LeakPolicy.class).inNamespace(NS).withName("short-lived").delete();

        Poll.until(Duration.ofSeconds(20), () -> !operator.snapshot().containsKey(new PolicyKey(NS, "short-lived")), "loops stopped");
        Poll.until(Duration.ofSeconds(20), () -> !metrics.scrape().contains("policy=\"short-lived\""), "no stale series left");
    }

    @Test
    void policyNamingAPortNoPodHasIsInvalid() {
        client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "wrong-port", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: admin}
                """)).create();
        LeakPolicy policy = Poll.until(Duration.ofSeconds(20), () -> client.resources(LeakPolicy.class).inNamespace(NS).withName("wrong-port").get(),
                p -> p.getStatus() != null && !p.getStatus().getConditions().isEmpty(), "status on the wrong-port policy");
        assertThat(policy.getStatus().getConditions().get(0).getReason()).isEqualTo("InvalidSpec");
        assertThat(policy.getStatus().getConditions().get(0).getMessage()).contains("port 'admin'");
    }

    /** The endpoint sees what is sent: gzip by default, identity from the scrape after the policy turns compression off. */
    @Test
    void turningCompressionOffMakesTheScrapesOfThePolicysPodsAskForIdentity() throws Exception {
        Queue<String> acceptEncodings = new ConcurrentLinkedQueue<>();
        HttpServer endpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        endpoint.createContext("/metrics", exchange -> {
            acceptEncodings.add(String.valueOf(exchange.getRequestHeaders().getFirst("Accept-Encoding")));
            byte[] body = "process_resident_memory_bytes 1.0e8\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        endpoint.start();
        try {
            client.pods().inNamespace(NS).resource(TestPods.running(NS, "billing-0", Map.of("app", "billing"),
                    endpoint.getAddress().getPort(), "512Mi", clock.instant()).build()).create();
            client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "billing", """
                    selector: {matchLabels: {app: billing}}
                    metrics: {port: metrics}
                    """)).create();
            Poll.until(Duration.ofSeconds(20), () -> acceptEncodings.contains("gzip"), "scrapes asking for gzip by default");

            client.resources(LeakPolicy.class).inNamespace(NS).withName("billing").edit(policy -> {
                policy.getSpec().getMetrics().setEnableCompression(false);
                return policy;
            });
            Poll.until(Duration.ofSeconds(20), () -> acceptEncodings.contains("identity"), "scrapes asking for identity");
            acceptEncodings.clear();
            Poll.until(Duration.ofSeconds(20), () -> acceptEncodings.size() >= 3, "three more scrapes");
            assertThat(acceptEncodings).as("every scrape since the change").containsOnly("identity");
        } finally {
            endpoint.stop(0);
        }
    }

    private Pod pod(String name, SimulatedContainer container) {
        return TestPods.running(NS, name, Map.of("app", "checkout"), container.port(), "512Mi",
                Instant.ofEpochMilli(container.startedMillis())).build();
    }
}
