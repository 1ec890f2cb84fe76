package dev.leakguard.bench.podcache;

import dev.leakguard.testing.ControlPlane;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Captures a pod as the real kube-apiserver returns it, for {@link PodCacheBench}: a Deployment of
 * the shape clusters run (an application container with env and probes, a mesh proxy and a log
 * shipper, config/secret/emptyDir volumes) applied with kubectl's server-side apply, its pod created by
 * the real ReplicaSet controller, its status written as a kubelet would, then read back with
 * managedFields — every field an informer caches.
 *
 * <p>Run with {@code mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.bench.podcache.CaptureRealisticPod
 * -Dbench.args=src/test/resources/fixtures/pods/realistic-pod.json}.
 */
public final class CaptureRealisticPod {
    private static final String NS = "shop";

    public static void main(String[] args) throws Exception {
        Path output = Path.of(args.length > 0 ? args[0] : "realistic-pod.json");
        try (ControlPlane plane = ControlPlane.start(RealKubernetes.binaries(), RealKubernetes.kubernetesVersion())) {
            KubernetesClient admin = plane.admin();
            admin.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(NS)
                    .endMetadata().build()).create();
            Deployment deployment = Serialization.unmarshal(CaptureRealisticPod.class.getResourceAsStream("realistic-deployment.yaml"),
                    Deployment.class);
            admin.apps().deployments().inNamespace(NS).resource(deployment).fieldManager("kubectl").forceConflicts().serverSideApply();
            Pod created = Poll.until(Duration.ofSeconds(60), () -> admin.pods().inNamespace(NS).list().getItems(),
                    pods -> !pods.isEmpty(), "the ReplicaSet controller to create a pod").get(0);
            new Kubelet(admin).run(NS, created.getMetadata().getName(), "10.244.3.17", Instant.parse("2026-11-30T08:15:02Z"));
            Pod pod = admin.pods().inNamespace(NS).withName(created.getMetadata().getName()).get();
            Files.writeString(output, Serialization.asJson(pod));
            System.out.printf("captured %s: %d bytes of JSON, %d managedFields entries%n", pod.getMetadata().getName(),
                    Files.size(output), pod.getMetadata().getManagedFields().size());
        }
    }
}
