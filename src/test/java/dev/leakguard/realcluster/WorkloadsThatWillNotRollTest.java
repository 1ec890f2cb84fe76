package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.RunningUntilTestEnds;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Workloads whose rollout would replace nothing, on the real control plane: a StatefulSet with updateStrategy
 * OnDelete is evicted instead of being stamped; a paused one-replica Deployment (kube-controller-manager made
 * its pod) is not touched at all, since its only Ready pod may not be evicted either; and a rollout restart that
 * brings no Ready pod (no StatefulSet controller runs pods here) is given up after its deadline with an Event.
 */
class WorkloadsThatWillNotRollTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private final ScaledClock clock = ScaledClock.compressed(Instant.now(), 300);
    @RegisterExtension
    final RunningUntilTestEnds running = new RunningUntilTestEnds();

    @Test
    void onDeleteIsEvictedInsteadAPausedLastReplicaIsLeftAloneAndAStuckRolloutIsGivenUp() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("wontroll");
        Workloads workloads = new Workloads(admin, ns);
        Kubelet kubelet = new Kubelet(admin);
        Map<String, Integer> ports = new java.util.HashMap<>();
        for (String app : List.of("ondelete", "paused", "stuck")) {
            int port = Workloads.freePort();
            ports.put(app, port);
            running.add(kubelet.serve(ns, Map.of("app", app), (pod, ip) -> new SimulatedContainer(
                    SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, clock, pod.getMetadata().getName().hashCode(),
                    new InetSocketAddress(ip, port)), clock::instant));
        }
        workloads.statefulSetPod("ondelete", Map.of("app", "ondelete"), ports.get("ondelete"), "512Mi");
        admin.apps().statefulSets().inNamespace(ns).withName("ondelete")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\",\"rollingUpdate\":null}}}");
        workloads.statefulSetPod("stuck", Map.of("app", "stuck"), ports.get("stuck"), "512Mi");
        workloads.deployment("paused", 1, Map.of("app", "paused"), ports.get("paused"), "512Mi");
        admin.apps().deployments().inNamespace(ns).withName("paused")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"paused\":true}}");
        for (String app : List.of("ondelete", "stuck")) {
            create(admin, ns, app, "RolloutRestart");
        }
        create(admin, ns, "paused", "Evict");

        try (KubernetesClient operatorClient = k8s.operatorClient();
             LeakguardOperator operator = new LeakguardOperator(operatorClient, clock, new MicrometerOperatorMetrics("test"),
                     LeakguardOperator.Settings.builder().statusRefresh(Duration.ofSeconds(150)).build())) {
            operator.start();

            Event evicted = Poll.until(Duration.ofSeconds(120), () -> events(admin, ns, "Evicted", "ondelete-0"), e -> !e.isEmpty(),
                    "ondelete-0 evicted").get(0);
            assertThat(evicted.getMessage()).contains("eviction instead of rollout restart: StatefulSet ondelete has updateStrategy OnDelete");
            assertThat(restartedAt(admin.apps().statefulSets().inNamespace(ns).withName("ondelete").get())).as("not stamped").isNull();

            Event blocked = Poll.until(Duration.ofSeconds(60), () -> events(admin, ns, "RestartBlocked", null).stream()
                    .filter(e -> e.getInvolvedObject().getName().startsWith("paused-")).toList(), e -> !e.isEmpty(),
                    "the paused Deployment's pod blocked").get(0);
            assertThat(blocked.getMessage()).contains("wont-roll", "Deployment paused is paused (spec.paused: true)", "only Ready pod");
            assertThat(restartedAt(admin.apps().deployments().inNamespace(ns).withName("paused").get())).as("not stamped").isNull();
            assertThat(admin.pods().inNamespace(ns).withLabel("app", "paused").list().getItems()).singleElement()
                    .satisfies(p -> assertThat(p.getMetadata().getDeletionTimestamp()).isNull());

            Poll.until(Duration.ofSeconds(60), () -> !events(admin, ns, "RolloutRestarted", "stuck-0").isEmpty(), "stuck rolled out");
            Event givenUp = Poll.until(Duration.ofSeconds(60), () -> events(admin, ns, "RestartGivenUp", "stuck"), e -> !e.isEmpty(),
                    "the stuck rollout given up").get(0);
            assertThat(givenUp.getInvolvedObject().getKind()).isEqualTo("StatefulSet");
            assertThat(givenUp.getMessage()).contains("StatefulSet/stuck", "no Ready pod within 10m");
            assertThat(givenUp.getCount()).isEqualTo(1);
        }
    }

    private static void create(KubernetesClient admin, String ns, String app, String action) {
        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, app, """
                selector: {matchLabels: {app: %s}}
                metrics: {port: metrics, interval: 15s}
                detection: {window: 30m, warmup: 5m, horizon: 15m}
                action: {type: %s}
                """.formatted(app, action))).create();
    }

    private static String restartedAt(HasMetadata workload) {
        var template = workload instanceof io.fabric8.kubernetes.api.model.apps.StatefulSet s ? s.getSpec().getTemplate()
                : ((io.fabric8.kubernetes.api.model.apps.Deployment) workload).getSpec().getTemplate();
        return template.getMetadata().getAnnotations() == null ? null
                : template.getMetadata().getAnnotations().get("kubectl.kubernetes.io/restartedAt");
    }

    private static List<Event> events(KubernetesClient admin, String namespace, String reason, String object) {
        return admin.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason()) && (object == null || object.equals(e.getInvolvedObject().getName())))
                .toList();
    }
}
