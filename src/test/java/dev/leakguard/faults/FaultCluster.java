package dev.leakguard.faults;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.ApiRequest;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.TestPods;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * A namespace on the fault-injecting mock API server, real loopback endpoints for pods, and
 * operators started on it the way {@code leakguard run} starts one. Time runs 600x faster on the
 * shared clock: a 15 s scrape interval is 25 ms, an hour of leak six seconds.
 *
 * <p>Each operator gets its own client whose built-in retries are short (2 retries, 50 ms apart
 * at first): the fabric8 client retries 5xx and 429 by itself, which a test must see through
 * within seconds. Tests use {@link #client} (default retries) to arrange and inspect.
 */
final class FaultCluster implements AutoCloseable {
    static final String NS = "shop";
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    final ScaledClock clock = ScaledClock.compressed(START, 600);
    final FaultInjectingDispatcher dispatcher = new FaultInjectingDispatcher();
    final DemoApiServer api = new DemoApiServer(dispatcher);
    final KubernetesClient client = api.client();
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    FaultCluster() {
        namespace(NS);
    }

    /** A running operator with its own client and metrics. */
    record RunningOperator(LeakguardOperator operator, MicrometerOperatorMetrics metrics, KubernetesClient client) implements AutoCloseable {
        double counter(String name, String... tags) {
            return metrics.registry().find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
        }

        @Override
        public void close() {
            operator.close();
            client.close();
        }
    }

    /** Status refreshed every half real second: 5 minutes on the 600x clock. */
    static LeakguardOperator.Settings.Builder settings() {
        return LeakguardOperator.Settings.builder().statusRefresh(Duration.ofMinutes(5));
    }

    RunningOperator startOperator(LeakguardOperator.Settings settings) {
        RunningOperator running = createOperator(settings);
        running.operator().start();
        return running;
    }

    /** Built but not started, for tests that start it on another thread (leader election blocks nothing, but may wait). */
    RunningOperator createOperator(LeakguardOperator.Settings settings) {
        KubernetesClient operatorClient = operatorClient();
        MicrometerOperatorMetrics metrics = new MicrometerOperatorMetrics("test");
        RunningOperator running = new RunningOperator(new LeakguardOperator(operatorClient, clock, metrics, settings), metrics,
                operatorClient);
        toClose.push(running);
        return running;
    }

    KubernetesClient operatorClient() {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(api.url())
                .withRequestRetryBackoffLimit(2)
                .withRequestRetryBackoffInterval(50)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    void namespace(String name) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    }

    SimulatedContainer container(SimulatedContainer.Behaviour behaviour, long seed) {
        try {
            SimulatedContainer container = new SimulatedContainer(behaviour, clock, seed);
            toClose.push(container);
            return container;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    <T extends AutoCloseable> T closeLater(T resource) {
        toClose.push(resource);
        return resource;
    }

    /** A Deployment and its ReplicaSet selecting {@code app=<name>}, wanting {@code replicas} pods. */
    ReplicaSet workload(String namespace, String app, int replicas) {
        Deployment deployment = client.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder()
                .withNewMetadata().withName(app).withNamespace(namespace).withLabels(Map.of("app", app)).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(Map.of("app", app)).endSelector()
                .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate().withMaxSurge(new IntOrString(1))
                .withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", app)).endMetadata().endTemplate()
                .endSpec().build()).create();
        return client.apps().replicaSets().inNamespace(namespace).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName(app + "-5c7d9").withNamespace(namespace).withLabels(Map.of("app", app))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
                        .withName(app).withUid(deployment.getMetadata().getUid()).withController(true).build())
                .endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(Map.of("app", app)).endSelector().endSpec()
                .build()).create();
    }

    /**
     * A Running, Ready pod at 127.0.0.1:{@code port} (container port named "metrics", 512Mi limit),
     * owned by {@code owner} when given, labelled {@code app=<owner's app>} plus {@code labels}.
     */
    Pod pod(String namespace, String name, ReplicaSet owner, int port, Map<String, String> labels, long startedMillis) {
        PodBuilder pod = TestPods.running(namespace, name, labels, port, "512Mi", Instant.ofEpochMilli(startedMillis));
        if (owner != null) {
            TestPods.ownedBy(pod, "ReplicaSet", owner).editMetadata().addToLabels(owner.getSpec().getSelector().getMatchLabels()).endMetadata();
        }
        return client.pods().inNamespace(namespace).resource(pod.build()).create();
    }

    Pod pod(String name, ReplicaSet owner, SimulatedContainer container, Map<String, String> labels) {
        return pod(NS, name, owner, container.port(), labels, container.startedMillis());
    }

    LeakPolicy createPolicy(String namespace, String name, String specYaml) {
        return client.resources(LeakPolicy.class).inNamespace(namespace).resource(policy(namespace, name, specYaml)).create();
    }

    LeakPolicy createPolicy(String name, String specYaml) {
        return createPolicy(NS, name, specYaml);
    }

    static LeakPolicy policy(String namespace, String name, String specYaml) {
        String yaml = "apiVersion: leakguard.dev/v1alpha1\nkind: LeakPolicy\nmetadata: {name: " + name + ", namespace: " + namespace
                + "}\nspec:\n" + specYaml.indent(2);
        return Serialization.unmarshal(yaml, LeakPolicy.class);
    }

    LeakPolicy policy(String namespace, String name) {
        return client.resources(LeakPolicy.class).inNamespace(namespace).withName(name).get();
    }

    LeakPolicy policy(String name) {
        return policy(NS, name);
    }

    Pod pod(String name) {
        return pod(NS, name);
    }

    Pod pod(String namespace, String name) {
        return client.pods().inNamespace(namespace).withName(name).get();
    }

    /** Events on the named object, newest state of each; field selectors do not work on the mock, so filtered here. */
    List<Event> eventsIn(String namespace, String involvedName) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> involvedName.equals(e.getInvolvedObject().getName())).toList();
    }

    List<Event> events(String involvedName) {
        return eventsIn(NS, involvedName);
    }

    List<Event> events(String involvedName, String reason) {
        return events(involvedName).stream().filter(e -> reason.equals(e.getReason())).toList();
    }

    /** Eviction requests that reached the store (answered or not), for one pod or, with null, any. */
    long evictions(String pod) {
        return dispatcher.requests().stream().filter(r -> isEviction(r, pod)).count();
    }

    private static boolean isEviction(ApiRequest r, String pod) {
        return r.call().verb().equals("create") && r.call().resource().equals("pods") && r.call().subresource().equals("eviction")
                && (pod == null || pod.equals(r.name()));
    }

    @Override
    public void close() {
        while (!toClose.isEmpty()) {
            try {
                toClose.pop().close();
            } catch (Exception e) {
                // Best effort: the next resource must still be closed.
            }
        }
        api.close();
    }
}
