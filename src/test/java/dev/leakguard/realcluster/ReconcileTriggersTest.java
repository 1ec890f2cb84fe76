package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.engine.PodView;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Which pod changes make a reconcile list and resolve the policy's pods, on a real API server: only those a
 * reconcile reads. The pod annotations leakguard writes and the kubelet's readiness flips do not; a new pod the
 * policy selects, a container restart, a removed label and a deleted pod do, at once — not at the next status
 * refresh. The refresh here is short, so reconciles run all the time; those no pod change started build status
 * without listing the pods ({@code leakguard_reconcile_duration{pods="not_listed"}}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReconcileTriggersTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final Map<String, String> STEADY = Map.of("app", "steady");
    /** Long enough for an event to reach a reconcile on a busy machine; a reconcile that should not happen has this long to show up. */
    private static final Duration QUIET = Duration.ofSeconds(3);
    /** A reconcile at least every second, on the operator's (real-time) clock. */
    private static final Duration REFRESH = Duration.ofSeconds(1);
    private static final Duration SOON = Duration.ofSeconds(30);

    private static final ScaledClock clock = ScaledClock.system();
    private static String ns;
    private static KubernetesClient admin;
    private static KubernetesClient operatorClient;
    private static AutoCloseable kubelet;
    private static Workloads workloads;
    /** Where the kubelet serves every steady pod's metrics (each at its own address). */
    private static int port;
    private static MicrometerOperatorMetrics metrics;
    private static LeakguardOperator operator;

    @BeforeAll
    static void startTheOperatorOnOneSteadyPod() {
        k8s.installLeakguard();
        admin = k8s.admin();
        ns = k8s.namespace("triggers");
        workloads = new Workloads(admin, ns);
        port = Workloads.freePort();
        kubelet = new Kubelet(admin).serve(ns, STEADY, (pod, ip) -> new SimulatedContainer(SimulatedContainer.Behaviour.GO_STEADY, clock,
                pod.getMetadata().getName().hashCode(), new InetSocketAddress(ip, port)));
        workloads.barePod("steady-a", STEADY, port, "512Mi");
        workloads.barePod("steady-b", STEADY, port, "512Mi");
        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "steady", """
                selector: {matchLabels: {app: steady}}
                metrics: {port: metrics, interval: 15s}
                detection: {window: 30m, warmup: 10m, horizon: 15m}
                action: {type: Annotate}
                """)).create();
        operatorClient = k8s.operatorClient();
        metrics = new MicrometerOperatorMetrics("test");
        operator = new LeakguardOperator(operatorClient, clock, metrics, LeakguardOperator.Settings.builder().statusRefresh(REFRESH)
                .leaderElection(dev.leakguard.testing.ControlPlane.OPERATOR_NAMESPACE, "leakguard-triggers-test", false).build());
        operator.start();
        Poll.until(SOON, () -> watched().equals(Set.of("steady-a", "steady-b")), "both pods watched");
    }

    @AfterAll
    static void stop() throws Exception {
        if (operator != null) {
            operator.close();
        }
        if (kubelet != null) {
            kubelet.close();
        }
        if (operatorClient != null) {
            operatorClient.close();
        }
    }

    @Test
    @Order(1)
    void reconcilesThatNoPodChangeStartedDoNotListThePods() {
        long listed = settledReconciles();
        long notListed = reconciles("not_listed");

        Poll.until(SOON, () -> reconciles("not_listed") >= notListed + 3, "three more status refreshes");

        assertThat(reconciles()).as("reconciles that listed the pods").isEqualTo(listed);
    }

    @Test
    @Order(2)
    void leakguardsOwnAnnotationsAndReadinessFlipsStartNoReconcile() {
        long before = settledReconciles();

        admin.pods().inNamespace(ns).withName("steady-a").edit(pod -> {
            pod.getMetadata().getAnnotations().put("leakguard.dev/verdict", "suspect");
            pod.getMetadata().getAnnotations().put("leakguard.dev/memory-growth", "+2.0 MiB/h");
            return pod;
        });
        admin.pods().inNamespace(ns).withName("steady-a").editStatus(pod -> {
            for (PodCondition condition : pod.getStatus().getConditions()) {
                if (condition.getType().equals("Ready") || condition.getType().equals("ContainersReady")) {
                    condition.setStatus("False");
                    condition.setLastTransitionTime(Instant.now().toString());
                }
            }
            pod.getStatus().getContainerStatuses().forEach(status -> status.setReady(false));
            return pod;
        });

        assertThat(reconcilesAfter(QUIET)).as("reconciles that listed the pods after an annotation patch and a readiness flip")
                .isEqualTo(before);
        assertThat(watched()).containsExactlyInAnyOrder("steady-a", "steady-b");
    }

    @Test
    @Order(3)
    void aContainerRestartReconcilesAtOnce() {
        long before = settledReconciles();
        Instant restartedAt = Instant.now();

        admin.pods().inNamespace(ns).withName("steady-a").editStatus(pod -> {
            ContainerStatus status = pod.getStatus().getContainerStatuses().get(0);
            status.setRestartCount(status.getRestartCount() + 1);
            status.getState().getRunning().setStartedAt(restartedAt.toString());
            return pod;
        });

        Poll.until(SOON, () -> reconciles() > before, "a reconcile after the restart");
        Poll.until(SOON, () -> view("steady-a") != null && view("steady-a").assessment() != null, "steady-a still watched");
    }

    @Test
    @Order(4)
    void aNewlySelectedPodReconcilesAtOnce() {
        long before = settledReconciles();

        workloads.barePod("steady-c", STEADY, port, "512Mi");

        Poll.until(SOON, () -> watched().contains("steady-c"), "steady-c watched");
        assertThat(reconciles()).isGreaterThan(before);
    }

    @Test
    @Order(5)
    void removingTheSelectedLabelReconcilesAtOnceAndTheLoopStops() {
        settledReconciles();

        admin.pods().inNamespace(ns).withName("steady-b").edit(pod -> {
            pod.getMetadata().getLabels().remove("app");
            return pod;
        });

        Poll.until(SOON, () -> !watched().contains("steady-b"), "steady-b no longer watched");
    }

    @Test
    @Order(6)
    void aDeletedPodReconcilesAtOnce() {
        long before = settledReconciles();

        admin.pods().inNamespace(ns).withName("steady-c").withGracePeriod(0).delete();

        Poll.until(SOON, () -> !watched().contains("steady-c"), "steady-c no longer watched");
        assertThat(reconciles()).isGreaterThan(before);
    }

    /** The count of reconciles that listed the pods once none has for {@link #QUIET}: earlier triggers have played out. */
    private static long settledReconciles() {
        long[] last = {-1};
        return Poll.until(SOON.plus(SOON), () -> {
            long now = reconcilesAfter(QUIET);
            boolean settled = now == last[0];
            last[0] = now;
            return settled ? now : -1;
        }, n -> n >= 0, "reconciles to settle");
    }

    private static long reconcilesAfter(Duration wait) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return reconciles();
    }

    /** Reconciles that listed and resolved the policy's pods. */
    private static long reconciles() {
        return reconciles("listed");
    }

    private static long reconciles(String pods) {
        return metrics.registry().find("leakguard_reconcile_duration").tags("namespace", ns, "policy", "steady", "pods", pods).timers()
                .stream().mapToLong(Timer::count).sum();
    }

    private static Set<String> watched() {
        return views().stream().map(v -> v.pod().name()).collect(Collectors.toSet());
    }

    private static PodView view(String pod) {
        return views().stream().filter(v -> v.pod().name().equals(pod)).findFirst().orElse(null);
    }

    private static List<PodView> views() {
        return operator.snapshot().entrySet().stream().filter(e -> e.getKey().namespace().equals(ns))
                .flatMap(e -> e.getValue().stream()).toList();
    }
}
