package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.engine.LimitSource;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pods shaped as current Kubernetes allows, on the real API server: metrics served by a native
 * sidecar (an init container with restartPolicy Always), a memory limit set only at pod level
 * ({@code spec.resources}), and a container resized in place (its limit in
 * {@code status.containerStatuses[].resources}). The server must keep each field (it drops fields of
 * features that are off), and leakguard must read the sidecar and predict against the right limit.
 */
class PodShapesTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final double MIB = 1 << 20;
    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        // The operator before its client, the client before the endpoints it scrapes.
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    @Test
    void aNativeSidecarIsScrapedAndThePodLevelOrResizedLimitIsTheOnePredictedAgainst() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("pod-shapes");
        int sidecarPort = Workloads.freePort();
        int appPort = Workloads.freePort();
        running.add(new Kubelet(admin).serve(ns, Map.of("shape", "sidecar"),
                (pod, ip) -> new LeakingEndpoint(new InetSocketAddress(ip, sidecarPort), System.currentTimeMillis(), 100 * MIB, 0, 0)));
        running.add(new Kubelet(admin).serve(ns, Map.of("shape", "resized"),
                (pod, ip) -> new LeakingEndpoint(new InetSocketAddress(ip, appPort), System.currentTimeMillis(), 100 * MIB, 0, 0)));

        admin.pods().inNamespace(ns).resource(new PodBuilder()
                .withNewMetadata().withName("agent").withLabels(Map.of("app", "shop", "shape", "sidecar")).endMetadata()
                .withNewSpec()
                .withNewResources().withLimits(Map.of("memory", new Quantity("300Mi"))).endResources()
                .addNewInitContainer().withName("metrics-agent").withImage("example/agent:1").withRestartPolicy("Always")
                .addNewPort().withName("metrics").withContainerPort(sidecarPort).endPort().endInitContainer()
                .addNewContainer().withName("app").withImage("example/app:1").endContainer()
                .endSpec().build()).create();
        admin.pods().inNamespace(ns).resource(new PodBuilder()
                .withNewMetadata().withName("resized").withLabels(Map.of("app", "shop", "shape", "resized")).endMetadata()
                .withNewSpec()
                .addNewContainer().withName("app").withImage("example/app:1")
                .addNewPort().withName("metrics").withContainerPort(appPort).endPort()
                .withNewResources().withLimits(Map.of("memory", new Quantity("256Mi"))).endResources().endContainer()
                .endSpec().build()).create();

        Pod stored = admin.pods().inNamespace(ns).withName("agent").get();
        assertThat(stored.getSpec().getResources().getLimits().get("memory")).as("pod-level resources kept by the server")
                .isEqualTo(new Quantity("300Mi"));
        assertThat(stored.getSpec().getInitContainers().get(0).getRestartPolicy()).as("native sidecar kept").isEqualTo("Always");
        // The kubelet's report after an in-place resize to 384Mi.
        Poll.until(Duration.ofSeconds(30), () -> admin.pods().inNamespace(ns).withName("resized").get(),
                pod -> "Running".equals(pod.getStatus().getPhase()), "the resized pod running");
        admin.pods().inNamespace(ns).withName("resized").editStatus(pod -> {
            ContainerStatus app = pod.getStatus().getContainerStatuses().get(0);
            app.setResources(new ResourceRequirementsBuilder()
                    .withLimits(Map.of("memory", new Quantity("384Mi"))).build());
            return pod;
        });
        assertThat(admin.pods().inNamespace(ns).withName("resized").get().getStatus().getContainerStatuses().get(0)
                .getResources().getLimits().get("memory")).as("container status resources kept by the server").isEqualTo(new Quantity("384Mi"));

        KubernetesClient operatorClient = k8s.operatorClient();
        running.add(operatorClient);
        LeakguardOperator operator = new LeakguardOperator(operatorClient, ScaledClock.system(), new MicrometerOperatorMetrics("test"),
                LeakguardOperator.Settings.builder().namespaces(Set.of(ns)).build());
        running.add(operator);
        operator.start();
        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "shop", """
                selector: {matchLabels: {app: shop}}
                metrics: {port: metrics, interval: 1s, memory: app_memory_bytes}
                detection: {window: 20s, warmup: 0s, horizon: 15s}
                """)).create();

        PolicyKey key = new PolicyKey(ns, "shop");
        List<PodView> views = Poll.until(Duration.ofSeconds(60), () -> operator.snapshot().getOrDefault(key, List.of()),
                v -> v.size() == 2 && v.stream().allMatch(view -> view.assessment() != null && Double.isFinite(view.assessment().memoryBytes())
                        && view.limitSource() == (view.pod().name().equals("agent") ? LimitSource.POD_SPEC : LimitSource.CONTAINER_STATUS)),
                "both pods read, each against its limit");
        PodView agent = views.stream().filter(v -> v.pod().name().equals("agent")).findFirst().orElseThrow();
        PodView resized = views.stream().filter(v -> v.pod().name().equals("resized")).findFirst().orElseThrow();
        assertThat(agent.assessment().memoryLimitBytes()).as("the pod-level limit").isEqualTo(300 * MIB);
        assertThat(resized.assessment().memoryLimitBytes()).as("the resized limit, not the spec's 256Mi").isEqualTo(384 * MIB);
    }
}
