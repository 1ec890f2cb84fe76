package dev.leakguard.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.util.Map;

/** Pods as the operator expects to find them, for tests that put them in a mock API server. */
public final class TestPods {
    private TestPods() {
    }

    /**
     * A Running, Ready pod at 127.0.0.1 with one container {@code app}: its port named "metrics" is
     * {@code metricsPort}, its memory limit {@code memoryLimit}, and it started at {@code startedAt}.
     * Callers add what their scenario needs (owner, more labels) to the builder.
     */
    public static PodBuilder running(String namespace, String name, Map<String, String> labels, int metricsPort, String memoryLimit,
                                     Instant startedAt) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("example/" + name + ":1")
                .addNewPort().withName("metrics").withContainerPort(metricsPort).endPort()
                .withNewResources().withLimits(Map.of("memory", new Quantity(memoryLimit))).endResources()
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP("127.0.0.1")
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .addNewContainerStatus().withName("app").withReady(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(startedAt.toString()).endRunning().endState()
                .endContainerStatus()
                .endStatus();
    }

    /** The pod's annotation {@code key}, or null when the pod or the annotation is absent. */
    public static String annotation(Pod pod, String key) {
        Map<String, String> annotations = pod == null ? null : pod.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    /** {@code pod} made a member of {@code owner} (apps/v1 {@code kind}) as its controller. */
    public static PodBuilder ownedBy(PodBuilder pod, String kind, HasMetadata owner) {
        return pod.editMetadata()
                .addNewOwnerReference().withApiVersion("apps/v1").withKind(kind).withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid()).withController(true).endOwnerReference()
                .endMetadata();
    }
}
