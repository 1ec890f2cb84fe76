package dev.leakguard.realcluster;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.ServerSocket;
import java.util.Map;

/**
 * Workloads as users create them on the real control plane. Deployments are left to kube-controller-manager
 * (it makes the ReplicaSet and the pods, and replaces an evicted pod); StatefulSet and DaemonSet controllers
 * do not run here (there are no nodes), so their pods are made by hand with the owner reference a
 * controller would set.
 */
final class Workloads {
    private final KubernetesClient admin;
    private final String namespace;

    Workloads(KubernetesClient admin, String namespace) {
        this.admin = admin;
        this.namespace = namespace;
    }

    /** A free TCP port: every pod of a workload gets its own loopback IP, so they can all listen on it. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One container {@code app} with a {@code metrics} port and a memory limit, labelled {@code app: name} plus {@code labels}. */
    static PodSpec podSpec(String name, int metricsPort, String memoryLimit) {
        return new PodSpecBuilder().addNewContainer().withName("app").withImage("example/" + name + ":1")
                .addNewPort().withName("metrics").withContainerPort(metricsPort).endPort()
                .withNewResources().withLimits(Map.of("memory", new Quantity(memoryLimit))).endResources()
                .endContainer().build();
    }

    Deployment deployment(String name, int replicas, Map<String, String> labels, int metricsPort, String memoryLimit) {
        return admin.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate().withMaxSurge(new IntOrString(1))
                .withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withSpec(podSpec(name, metricsPort, memoryLimit)).endTemplate()
                .endSpec().build()).create();
    }

    PodDisruptionBudget maxUnavailable(String name, int maxUnavailable) {
        return pdb(new PodDisruptionBudgetBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withMaxUnavailable(new IntOrString(maxUnavailable)).withNewSelector().withMatchLabels(Map.of("app", name))
                .endSelector().endSpec().build());
    }

    PodDisruptionBudget minAvailable(String name, int minAvailable) {
        return pdb(new PodDisruptionBudgetBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withMinAvailable(new IntOrString(minAvailable)).withNewSelector().withMatchLabels(Map.of("app", name))
                .endSelector().endSpec().build());
    }

    private PodDisruptionBudget pdb(PodDisruptionBudget pdb) {
        return admin.policy().v1().podDisruptionBudget().inNamespace(namespace).resource(pdb).create();
    }

    /** A one-replica StatefulSet and its pod {@code name-0}, owned as the StatefulSet controller would own it. */
    Pod statefulSetPod(String name, Map<String, String> labels, int metricsPort, String memoryLimit) {
        StatefulSet set = admin.apps().statefulSets().inNamespace(namespace).resource(new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withReplicas(1).withServiceName(name).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withSpec(podSpec(name, metricsPort, memoryLimit))
                .endTemplate().endSpec().build()).create();
        return ownedPod(name + "-0", labels, metricsPort, memoryLimit, "StatefulSet", set.getMetadata().getName(), set.getMetadata().getUid());
    }

    /** A DaemonSet and the pod it would run on one node. */
    Pod daemonSetPod(String name, Map<String, String> labels, int metricsPort, String memoryLimit) {
        DaemonSet set = admin.apps().daemonSets().inNamespace(namespace).resource(new DaemonSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withSpec(podSpec(name, metricsPort, memoryLimit))
                .endTemplate().endSpec().build()).create();
        return ownedPod(name + "-x7k2p", labels, metricsPort, memoryLimit, "DaemonSet", set.getMetadata().getName(), set.getMetadata().getUid());
    }

    /** A pod no controller owns. */
    Pod barePod(String name, Map<String, String> labels, int metricsPort, String memoryLimit) {
        return admin.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withSpec(podSpec(name, metricsPort, memoryLimit)).build()).create();
    }

    private Pod ownedPod(String podName, Map<String, String> labels, int metricsPort, String memoryLimit, String kind, String owner,
                         String ownerUid) {
        return admin.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(podName).withNamespace(namespace).withLabels(labels)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind(kind).withName(owner).withUid(ownerUid)
                .withController(true).withBlockOwnerDeletion(true).endOwnerReference()
                .endMetadata()
                .withSpec(podSpec(podName, metricsPort, memoryLimit)).build()).create();
    }
}
