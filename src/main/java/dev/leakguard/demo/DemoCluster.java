package dev.leakguard.demo;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's little cluster: workloads whose pods are backed by {@link SimulatedContainer}s on
 * loopback, plus the two parts of a kubelet/controller that matter here — a ReplicaSet that replaces
 * an evicted pod, and an OOM killer that kills a container reaching its memory limit (which is
 * exactly what leakguard is meant to prevent, and what its scoreboard counts when it fails).
 */
public final class DemoCluster implements AutoCloseable {
    public static final String NAMESPACE = "shop";
    /** The {@code pod-template-hash} the Deployment controller would put in its ReplicaSet's name and pods' labels. */
    private static final String TEMPLATE_HASH = "7d9f8";
    private static final Logger log = LoggerFactory.getLogger(DemoCluster.class);

    /** A workload of the demo: its behaviour, replicas, and the memory limit of its container. */
    public record Workload(String name, SimulatedContainer.Behaviour behaviour, int replicas, String memoryLimit, String runtime) {
    }

    public static final List<Workload> WORKLOADS = List.of(
            // Three replicas started together leak in step: the restart plan must replace all of them before their limits.
            new Workload("checkout-api", SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, 3, "512Mi", "go"),
            new Workload("catalog", SimulatedContainer.Behaviour.GO_STEADY, 1, "512Mi", "go"),
            new Workload("billing", SimulatedContainer.Behaviour.JVM_THREAD_POOL_LEAK, 1, "512Mi", "jvm"));

    private final KubernetesClient client;
    private final ScaledClock clock;
    private final Map<String, SimulatedContainer> containers = new ConcurrentHashMap<>();
    private final Map<String, ReplicaSet> replicaSets = new ConcurrentHashMap<>();
    private final AtomicInteger podSerial = new AtomicInteger();
    private final AtomicInteger oomKills = new AtomicInteger();
    private final AtomicInteger replacements = new AtomicInteger();
    private final List<Stopped> stopped = new CopyOnWriteArrayList<>();

    /**
     * A container stopped because its pod went away (an eviction, a rollout): how close to its limit it was, as
     * the demo's summary reports it. Seen by the kubelet loop, so up to one of its ticks (15 simulated seconds) late.
     *
     * @param minutesLeft at its growth rate, how long it had before reaching the limit
     */
    public record Stopped(String pod, double memoryBytes, double limitBytes, double minutesLeft) {
    }
    private final ScheduledExecutorService kubelet = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "demo-kubelet");
        t.setDaemon(true);
        return t;
    });

    public DemoCluster(KubernetesClient client, ScaledClock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** Creates namespace, workloads, pods, a PDB and the example policies, then starts the kubelet loop. */
    public void start() throws IOException {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
        for (Workload workload : WORKLOADS) {
            Deployment deployment = client.apps().deployments().inNamespace(NAMESPACE).resource(new DeploymentBuilder()
                    .withNewMetadata().withName(workload.name()).withNamespace(NAMESPACE).withLabels(Map.of("app", workload.name())).endMetadata()
                    .withNewSpec().withReplicas(workload.replicas()).withNewSelector().withMatchLabels(Map.of("app", workload.name())).endSelector()
                    .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate().withMaxSurge(new IntOrString(1))
                    .withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy()
                    .withNewTemplate().withNewMetadata().withLabels(Map.of("app", workload.name())).endMetadata().endTemplate()
                    .endSpec().build()).create();
            ReplicaSet replicaSet = client.apps().replicaSets().inNamespace(NAMESPACE).resource(new ReplicaSetBuilder()
                    .withNewMetadata().withName(workload.name() + "-" + TEMPLATE_HASH).withNamespace(NAMESPACE)
                    .withLabels(Map.of("app", workload.name()))
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
                            .withName(deployment.getMetadata().getName()).withUid(deployment.getMetadata().getUid()).withController(true).build())
                    .endMetadata()
                    .withNewSpec().withReplicas(workload.replicas()).withNewSelector().withMatchLabels(Map.of("app", workload.name())).endSelector()
                    .endSpec().build()).create();
            replicaSets.put(workload.name(), replicaSet);
            for (int i = 0; i < workload.replicas(); i++) {
                startPod(workload);
            }
        }
        client.policy().v1().podDisruptionBudget().inNamespace(NAMESPACE).resource(new PodDisruptionBudgetBuilder()
                .withNewMetadata().withName("checkout-api").withNamespace(NAMESPACE).endMetadata()
                .withNewSpec().withMaxUnavailable(new IntOrString(1)).withNewSelector().withMatchLabels(Map.of("app", "checkout-api"))
                .endSelector().endSpec().build()).create();
        for (LeakPolicy policy : examplePolicies()) {
            client.resources(LeakPolicy.class).inNamespace(NAMESPACE).resource(policy).create();
        }
        long tick = Math.max(50, clock.realDelayMillis(15_000));
        kubelet.scheduleWithFixedDelay(this::superviseSafely, tick, tick, TimeUnit.MILLISECONDS);
    }

    /** The LeakPolicies the demo applies, from the embedded YAML (the same shape users apply). */
    public static List<LeakPolicy> examplePolicies() {
        try (InputStream in = DemoCluster.class.getResourceAsStream("/demo/policies.yaml")) {
            if (in == null) {
                throw new IllegalStateException("demo/policies.yaml missing from the jar");
            }
            List<LeakPolicy> policies = new ArrayList<>();
            for (Object item : Serialization.unmarshal(in, List.class)) {
                policies.add(Serialization.unmarshal(Serialization.asJson(item), LeakPolicy.class));
            }
            return policies;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int oomKills() {
        return oomKills.get();
    }

    public int replacements() {
        return replacements.get();
    }

    /** Every container stopped because its pod went away, in order. */
    public List<Stopped> stopped() {
        return List.copyOf(stopped);
    }

    private Pod startPod(Workload workload) throws IOException {
        SimulatedContainer container = new SimulatedContainer(workload.behaviour(), clock, podSerial.get() * 7919L + 17);
        String name = workload.name() + "-" + TEMPLATE_HASH + "-" + suffix(podSerial.incrementAndGet());
        containers.put(name, container);
        ReplicaSet owner = replicaSets.get(workload.name());
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE)
                .withLabels(Map.of("app", workload.name(), "runtime", workload.runtime(), "pod-template-hash", TEMPLATE_HASH))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("ReplicaSet")
                        .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid()).withController(true).build())
                .endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("example/" + workload.name() + ":1.0")
                .addNewPort().withName("metrics").withContainerPort(container.port()).endPort()
                .withNewResources().withLimits(Map.of("memory", new Quantity(workload.memoryLimit()))).endResources()
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP("127.0.0.1")
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .withContainerStatuses(new ContainerStatusBuilder().withName("app").withReady(true).withRestartCount(0)
                        .withNewState().withNewRunning().withStartedAt(Instant.ofEpochMilli(container.startedMillis()).toString())
                        .endRunning().endState().build())
                .endStatus().build();
        return client.pods().inNamespace(NAMESPACE).resource(pod).create();
    }

    private void superviseSafely() {
        try {
            supervise();
        } catch (RuntimeException | IOException e) {
            log.warn("demo kubelet: {}", e.toString());
        }
    }

    /** Replaces pods that were evicted, and OOM-kills containers that reached their limit. */
    private void supervise() throws IOException {
        List<Pod> pods = client.pods().inNamespace(NAMESPACE).list().getItems();
        containers.keySet().removeIf(name -> pods.stream().noneMatch(p -> p.getMetadata().getName().equals(name))
                && stop(name, containers.get(name)));
        for (Pod pod : pods) {
            SimulatedContainer container = containers.get(pod.getMetadata().getName());
            Quantity limit = pod.getSpec().getContainers().get(0).getResources().getLimits().get("memory");
            if (container != null && container.memoryBytes() >= Quantity.getAmountInBytes(limit).doubleValue()) {
                oomKill(pod, container);
            }
        }
        for (Workload workload : WORKLOADS) {
            long alive = pods.stream().filter(p -> workload.name().equals(p.getMetadata().getLabels().get("app"))).count();
            for (long missing = workload.replicas() - alive; missing > 0; missing--) {
                startPod(workload);
                replacements.incrementAndGet();
            }
        }
    }

    private void oomKill(Pod pod, SimulatedContainer container) {
        container.restart();
        oomKills.incrementAndGet();
        String now = Instant.ofEpochMilli(container.startedMillis()).toString();
        client.pods().inNamespace(NAMESPACE).withName(pod.getMetadata().getName()).edit(p -> {
            ContainerStatus status = p.getStatus().getContainerStatuses().get(0);
            status.setRestartCount(status.getRestartCount() + 1);
            status.setLastState(new ContainerStateBuilder().withNewTerminated()
                    .withReason("OOMKilled").withExitCode(137).withFinishedAt(now).endTerminated().build());
            status.setState(new ContainerStateBuilder().withNewRunning().withStartedAt(now).endRunning().build());
            return p;
        });
    }

    private boolean stop(String pod, SimulatedContainer container) {
        if (container != null) {
            double limit = Quantity.getAmountInBytes(new Quantity(workloadOf(pod).memoryLimit())).doubleValue();
            double memory = container.memoryBytes();
            double perMinute = container.behaviour().growthPerMinute;
            stopped.add(new Stopped(pod, memory, limit, perMinute > 0 ? (limit - memory) / perMinute : Double.POSITIVE_INFINITY));
            container.close();
        }
        return true;
    }

    private static Workload workloadOf(String pod) {
        return WORKLOADS.stream().filter(w -> pod.startsWith(w.name() + "-")).findFirst().orElseThrow();
    }

    private static String suffix(int serial) {
        String alphabet = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder out = new StringBuilder();
        int x = serial * 7919 + 104729;
        for (int i = 0; i < 5; i++) {
            out.append(alphabet.charAt(Math.floorMod(x, alphabet.length())));
            x /= alphabet.length();
            x += serial * 31;
        }
        return out.toString();
    }

    @Override
    public void close() {
        kubelet.shutdownNow();
        containers.values().forEach(SimulatedContainer::close);
        containers.clear();
    }
}
