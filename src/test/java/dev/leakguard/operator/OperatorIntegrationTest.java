package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.testing.Poll;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole path on a real API server (fabric8 CRUD mock over HTTP) with real loopback metrics
 * endpoints: LeakPolicy → targets → scrape → detect → annotations, Events and status. Time runs
 * 600x faster on the operator's clock so an hour of leak takes six seconds.
 */
class OperatorIntegrationTest {
    private static final String NS = "shop";
    private final ScaledClock clock = ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), 600);
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
                LeakguardOperator.Settings.defaults().withStatusRefresh(Duration.ofMillis(500)));
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
        client.resources(LeakPolicy.class).inNamespace(NS).resource(policy("checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics, interval: 15s, threads: go_goroutines}
                detection: {window: 30m, warmup: 5m, horizon: 15m}
                action: {type: Annotate}
                """)).create();

        Pod leaky = Poll.until(Duration.ofSeconds(30), () -> client.pods().inNamespace(NS).withName("checkout-leaky").get(),
                p -> "leaking".equals(annotation(p, PodAnnotations.VERDICT)), "checkout-leaky annotated as leaking");
        assertThat(annotation(leaky, PodAnnotations.SECONDS_TO_LIMIT)).matches("[0-9]+");
        assertThat(Double.parseDouble(annotation(leaky, PodAnnotations.SECONDS_TO_LIMIT))).isLessThanOrEqualTo(15 * 60);
        assertThat(annotation(leaky, PodAnnotations.MEMORY_GROWTH)).startsWith("+").endsWith("/min");

        List<Event> podEvents = Poll.until(Duration.ofSeconds(10), () -> eventsFor("checkout-leaky"),
                events -> events.stream().anyMatch(e -> "OOMPredicted".equals(e.getReason())), "an OOMPredicted event");
        Event oom = podEvents.stream().filter(e -> "OOMPredicted".equals(e.getReason())).findFirst().orElseThrow();
        assertThat(oom.getType()).isEqualTo("Warning");
        assertThat(oom.getMessage()).contains("Memory limit 512Mi predicted in").contains("go_goroutines");

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
        assertThat(annotation(flat, PodAnnotations.VERDICT)).isIn(null, "healthy", "insufficient_data");
        assertThat(eventsFor("checkout-steady")).isEmpty();
        assertThat(eventsFor("checkout")).noneMatch(e -> "InvalidSpec".equals(e.getReason()));
        // Every successful reading is timed from its body to its decision.
        assertThat(metrics.registry().get("leakguard_decision_duration").tags("namespace", NS, "policy", "checkout").timer().count())
                .isPositive();
    }

    @Test
    void invalidPolicyIsReportedInStatusAndEventAndScrapesNothing() {
        client.resources(LeakPolicy.class).inNamespace(NS).resource(policy("broken", """
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
        List<Event> events = Poll.until(Duration.ofSeconds(10), () -> eventsFor("broken"), e -> !e.isEmpty(), "an InvalidSpec event");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("InvalidSpec");
            assertThat(e.getType()).isEqualTo("Warning");
        });
        assertThat(operator.snapshot()).doesNotContainKey(new PolicyKey(NS, "broken"));
    }

    @Test
    void policyNamingAPortNoPodHasIsInvalid() {
        client.resources(LeakPolicy.class).inNamespace(NS).resource(policy("wrong-port", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: admin}
                """)).create();
        LeakPolicy policy = Poll.until(Duration.ofSeconds(20), () -> client.resources(LeakPolicy.class).inNamespace(NS).withName("wrong-port").get(),
                p -> p.getStatus() != null && !p.getStatus().getConditions().isEmpty(), "status on the wrong-port policy");
        assertThat(policy.getStatus().getConditions().get(0).getReason()).isEqualTo("InvalidSpec");
        assertThat(policy.getStatus().getConditions().get(0).getMessage()).contains("port 'admin'");
    }

    private List<Event> eventsFor(String name) {
        // Field selectors on involvedObject.name return nothing on the mock: filter here.
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }

    private static String annotation(Pod pod, String key) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    private static LeakPolicy policy(String name, String specYaml) {
        String yaml = "apiVersion: leakguard.dev/v1alpha1\nkind: LeakPolicy\nmetadata: {name: " + name + ", namespace: " + NS + "}\nspec:\n"
                + specYaml.indent(2);
        return Serialization.unmarshal(yaml, LeakPolicy.class);
    }

    private Pod pod(String name, SimulatedContainer container) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).withLabels(Map.of("app", "checkout")).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("example/checkout:1")
                .addNewPort().withName("metrics").withContainerPort(container.port()).endPort()
                .withNewResources().withLimits(Map.of("memory", new Quantity("512Mi"))).endResources()
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP("127.0.0.1")
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .addNewContainerStatus().withName("app").withReady(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(Instant.ofEpochMilli(container.startedMillis()).toString()).endRunning().endState()
                .endContainerStatus()
                .endStatus().build();
    }
}
