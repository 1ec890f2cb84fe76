package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.WorkloadRisk;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.kube.Pods;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.RunningUntilTestEnds;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The most common shape of leak on the real control plane: three replicas of one Deployment started together,
 * leaking in step, maxConcurrent 1, the default cooldown (10m) and horizon (15m), a PodDisruptionBudget of
 * maxUnavailable 1, and kube-controller-manager making each replacement. Restarting pod by pod, the cooldown
 * holds the third replica until after its limit; the workload's restart plan replaces all three before any
 * reaches its limit, one at a time.
 */
class WorkloadRestartPlanTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    /** The leak grows 6 MiB a minute: 482 MiB is five minutes before the 512 MiB limit. */
    private static final double MARGIN_BELOW_LIMIT_BYTES = 482 * 1024 * 1024;
    /** One real second is a minute: kube-controller-manager's replacements then take about as long as real ones. */
    private final ScaledClock clock = ScaledClock.compressed(Instant.now(), 60);
    @RegisterExtension
    final RunningUntilTestEnds running = new RunningUntilTestEnds();

    @Test
    void threeReplicasLeakingInStepAreAllRestartedBeforeTheirLimitsOneAtATime() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("plan");
        Workloads workloads = new Workloads(admin, ns);
        Kubelet kubelet = new Kubelet(admin);
        int port = Workloads.freePort();
        Map<String, Double> memoryWhenStopped = new ConcurrentHashMap<>();
        running.add(kubelet.serve(ns, Map.of("app", "checkout-api"), (pod, ip) -> {
            SimulatedContainer container = new SimulatedContainer(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, clock,
                    pod.getMetadata().getName().hashCode(), new InetSocketAddress(ip, port));
            return () -> {
                memoryWhenStopped.put(pod.getMetadata().getName(), container.memoryBytes());
                container.close();
            };
        }, clock::instant));
        workloads.deployment("checkout-api", 3, Map.of("app", "checkout-api"), port, "512Mi");
        workloads.maxUnavailable("checkout-api", 1);
        List<String> originals = Poll.until(Duration.ofSeconds(30), () -> healthy(admin, ns), p -> p.size() == 3,
                "three Ready replicas").stream().map(p -> p.getMetadata().getName()).toList();

        // Watches the workload the way a user's dashboard would: Ready replicas, sampled every few milliseconds.
        AtomicInteger fewestReady = new AtomicInteger(3);
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (watching.get()) {
                fewestReady.accumulateAndGet(healthy(admin, ns).size(), Math::min);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        running.add(() -> {
            watching.set(false);
            sampler.join();
        });

        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "checkout-api", """
                selector: {matchLabels: {app: checkout-api}}
                metrics: {port: metrics, interval: 15s, threads: go_goroutines}
                detection: {window: 30m, warmup: 5m, horizon: 15m}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """)).create();
        try (KubernetesClient operatorClient = k8s.operatorClient();
             LeakguardOperator operator = new LeakguardOperator(operatorClient, clock, new MicrometerOperatorMetrics("test"),
                     LeakguardOperator.Settings.builder().statusRefresh(Duration.ofSeconds(60)).build())) {
            operator.start();

            // The policy's status names the workload, not only its pods, while its replicas leak (the server keeps the field).
            LeakPolicy listed = Poll.until(Duration.ofSeconds(150),
                    () -> admin.resources(LeakPolicy.class).inNamespace(ns).withName("checkout-api").get(),
                    p -> p.getStatus() != null && p.getStatus().getLeakingWorkloads() != null && !p.getStatus().getLeakingWorkloads().isEmpty(),
                    "the policy's status to list the leaking Deployment");
            WorkloadRisk workload = listed.getStatus().getLeakingWorkloads().get(0);
            assertThat(workload.getWorkload()).isEqualTo("Deployment/checkout-api");
            assertThat(workload.getWatched()).isEqualTo(3);
            assertThat(workload.getLeaking()).isPositive();
            assertThat(workload.getTimeToLimit()).isNotBlank();

            Poll.until(Duration.ofSeconds(150), () -> originals.stream().allMatch(memoryWhenStopped::containsKey),
                    "all three original replicas restarted");

            for (String pod : originals) {
                assertThat(memoryWhenStopped.get(pod)).as(pod + "'s memory when it was evicted: minutes to spare, not seconds")
                        .isLessThan(MARGIN_BELOW_LIMIT_BYTES);
            }
            assertThat(fewestReady.get()).as("Ready replicas at the worst moment: never more than one unavailable").isEqualTo(2);
            List<Event> evicted = Poll.until(Duration.ofSeconds(10), () -> TestEvents.withReason(admin, ns, "Evicted"), e -> e.size() == 3,
                    "an Evicted Event for each replica");
            assertThat(evicted).extracting(e -> e.getInvolvedObject().getName()).containsExactlyInAnyOrderElementsOf(originals);
            assertThat(evicted).extracting(Event::getMessage).anySatisfy(m -> assertThat(m).contains("cooldown waived"));
            Event planned = Poll.until(Duration.ofSeconds(10), () -> TestEvents.withReason(admin, ns, "RestartPlanned"), e -> !e.isEmpty(),
                    "the plan announced on the Deployment").get(0);
            assertThat(planned.getInvolvedObject().getKind()).isEqualTo("Deployment");
            assertThat(planned.getMessage()).contains("1 at a time");
            System.out.printf("restart plan: memory at eviction %s MiB of 512 MiB; %s%n",
                    originals.stream().map(p -> String.format("%.0f", memoryWhenStopped.get(p) / 1048576)).toList(), planned.getMessage());
        }
    }

    private static List<Pod> healthy(KubernetesClient admin, String ns) {
        return admin.pods().inNamespace(ns).withLabel("app", "checkout-api").list().getItems().stream().filter(Pods::healthy).toList();
    }

}
