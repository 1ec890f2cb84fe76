package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.testing.ControlPlane;
import dev.leakguard.testing.CuttableProxy;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.TestPolicies;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two `leakguard run --leader-election` processes, each authenticating as the operator's ServiceAccount with the
 * shipped RBAC, share one real Lease: only the leader scrapes and acts; when the leader's process is killed with
 * SIGKILL (no chance to release the Lease), the other takes over within the lease duration and, reading the
 * restart ledger the first one left on the policy, does not repeat its eviction.
 */
class LeaderElectionTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    /** `leakguard run`'s lease duration (JOSDK's default); the Lease object carries it too. */
    private static final Duration LEASE = Duration.ofSeconds(15);
    private static final double MB = 1_000_000;

    private final List<AutoCloseable> running = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process process : processes) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (AutoCloseable closeable : running) {
            closeable.close();
        }
        k8s.deleteOperatorLedger();
    }

    @Test
    void onlyTheLeaderActsAndAfterSigkillTheOtherTakesOverWithinTheLeaseWithoutASecondEviction() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("failover");
        int port = Workloads.freePort();
        new Workloads(admin, ns).deployment("checkout", 2, Map.of("app", "checkout"), port, "256Mi");
        new Workloads(admin, ns).maxUnavailable("checkout", 1);
        // Real time here: each replica's memory climbs 2 MB/s from 150 MB towards its 256Mi limit.
        running.add(new Kubelet(admin).serve(ns, Map.of("app", "checkout"),
                (pod, ip) -> new LeakingEndpoint(new InetSocketAddress(ip, port), System.currentTimeMillis(), 150 * MB, 2 * MB, 1)));

        OperatorProcess a = start("failover-a", ns);
        Poll.until(Duration.ofSeconds(60), () -> holder(admin), "failover-a"::equals, "failover-a to take the Lease");
        OperatorProcess b = start("failover-b", ns);
        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics, interval: 1s, memory: app_memory_bytes, threads: go_goroutines}
                detection: {window: 20s, warmup: 0s, horizon: 15s}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """)).create();

        Event evicted = Poll.until(Duration.ofSeconds(90), () -> leakguardEvents(admin, ns, "Evicted"), e -> !e.isEmpty(),
                "the leader's eviction").get(0);
        assertThat(evicted.getSource().getHost()).isEqualTo("failover-a");
        assertThat(b.metric("leakguard_scrapes_total")).as("the follower scrapes nothing").isZero();
        assertThat(leakguardEvents(admin, ns, null)).as("only the leader writes Events")
                .allSatisfy(e -> assertThat(e.getSource().getHost()).isEqualTo("failover-a"));

        long killed = System.nanoTime();
        a.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        Poll.until(LEASE.plusSeconds(15), () -> holder(admin), "failover-b"::equals, "failover-b to take over the Lease");
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        System.out.printf("leader election: failover-b leads %.1f s after failover-a was killed (lease %d s)%n",
                takeover.toMillis() / 1000.0, LEASE.toSeconds());
        assertThat(takeover).as("time to a new leader").isLessThanOrEqualTo(LEASE.plusSeconds(5));

        // The new leader scrapes the leaking pods and asks the restart door again. Only the ledger the first leader left
        // tells it of the restart already done: it never repeats that eviction, and it waits out the cooldown unless the
        // workload's restart plan has another replica's OOM come first — then its Evicted Event says the cooldown was
        // waived, which it can only know from the ledger.
        String first = evicted.getInvolvedObject().getName();
        Poll.until(Duration.ofSeconds(30), () -> b.metric("leakguard_scrapes_total"), n -> n > 20, "the new leader scraping");
        Poll.until(Duration.ofSeconds(40), () -> leakguardEvents(admin, ns, null).stream()
                        .filter(x -> "failover-b".equals(x.getSource().getHost()))
                        .filter(x -> "RestartBlocked".equals(x.getReason()) || "Evicted".equals(x.getReason())).toList(),
                e -> !e.isEmpty(), "the new leader deciding on the leaking replicas");
        Map<String, Long> evictionsPerPod = k8s.plane().auditedRequests("system:serviceaccount:leakguard:leakguard").stream()
                .filter(r -> r.namespace().equals(ns) && r.subresource().equals("eviction") && r.code() == 201)
                .collect(Collectors.groupingBy(ControlPlane.AuditedRequest::name, Collectors.counting()));
        assertThat(evictionsPerPod).as("evictions the API server performed for leakguard in %s, per pod", ns)
                .containsEntry(first, 1L).allSatisfy((pod, count) -> assertThat(count).isEqualTo(1L));
        assertThat(leakguardEvents(admin, ns, "Evicted")).filteredOn(e -> "failover-b".equals(e.getSource().getHost()))
                .allSatisfy(e -> {
                    assertThat(e.getInvolvedObject().getName()).isNotEqualTo(first);
                    assertThat(e.getMessage()).contains("cooldown waived");
                });
    }

    /**
     * Failover mid-leak with {@code source: pods}: the leader has judged the pods (warm-up and window are over) and
     * the leak is growing towards the limit but not yet acted on when it is SIGKILLed. The new leader replays the recent
     * samples the old one saved in {@code leakguard-samples-<policy>} and decides at its first scrapes, instead of
     * learning a whole window again, and the leak is evicted before the limit.
     */
    @Test
    void aNewLeaderResumesTheKilledLeadersDetectionAndEvictsBeforeTheLimit() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("resume");
        int port = Workloads.freePort();
        new Workloads(admin, ns).deployment("checkout", 2, Map.of("app", "checkout"), port, "512Mi");
        // First a budget that allows no disruption: the leader judges the leak and is refused, so it is killed mid-leak
        // with the leak judged but not acted on; the budget then allows one, and only the new leader can act.
        new Workloads(admin, ns).minAvailable("checkout", 2);
        // Real time: memory (heap + 8 MB non-heap) climbs 2 MB/s from 108 MB towards the 512Mi limit, reached 214 s after start.
        AtomicLong firstStart = new AtomicLong(Long.MAX_VALUE);
        running.add(new Kubelet(admin).serve(ns, Map.of("app", "checkout"), (pod, ip) -> {
            long started = System.currentTimeMillis();
            firstStart.accumulateAndGet(started, Math::min);
            return new LeakingEndpoint(new InetSocketAddress(ip, port), started, 100 * MB, 2 * MB, 1);
        }));
        // Time runs 15 times faster than with the defaults (1 s scrapes for 15 s), the Lease too: 4 s for 60 s. A takeover
        // then misses about as much of the 60 s window as a real one (15 s Lease, 2 m saves) misses of a 30 m window.
        Duration window = Duration.ofSeconds(60);
        Duration warmup = Duration.ofSeconds(5);

        // Every pod's series, healthy ones too: the first verdict timed below may be a healthy one.
        String[] flags = {"--save-samples-every", "1s", "--lease-duration", "4s", "--pod-metrics", "all"};
        OperatorProcess a = start("resume-a", ns, k8s.operatorKubeconfig(), flags);
        Poll.until(Duration.ofSeconds(60), () -> holder(admin), "resume-a"::equals, "resume-a to take the Lease");
        OperatorProcess b = start("resume-b", ns, k8s.operatorKubeconfig(), flags);
        // Someone else's ConfigMap under the name: not read (the policy does not own it), then replaced by the leader's save.
        admin.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("leakguard-samples-checkout")
                .endMetadata().withBinaryData(Map.of("samples.bin.gz", "bm90IGFuIGFyY2hpdmU=")).build()).create();
        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics, interval: 1s, memory: app_memory_bytes, threads: go_goroutines}
                detection: {window: 60s, warmup: 5s, horizon: 20s}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """)).create();

        // Kill the leader once warm-up and window are over, it judges the leak and the budget has refused its eviction.
        Poll.until(Duration.ofSeconds(120), () -> System.currentTimeMillis() - firstStart.get() > warmup.plus(window).toMillis()
                && leakguardEvents(admin, ns, "RestartBlocked").stream().anyMatch(e -> e.getMessage().contains("PodDisruptionBudget")),
                "resume-a judging the leak, its eviction refused by the budget");
        ConfigMap saved = Poll.until(Duration.ofSeconds(10),
                () -> admin.configMaps().inNamespace(ns).withName("leakguard-samples-checkout").get(), c -> c != null, "the saved samples");
        assertThat(saved.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getKind()).isEqualTo("LeakPolicy"));
        assertThat(saved.getData()).containsEntry("pods", "2");
        assertThat(a.output()).contains("ConfigMap leakguard-samples-checkout is not this policy's saved samples");
        a.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertThat(leakguardEvents(admin, ns, "Evicted")).as("killed before it could act").isEmpty();
        admin.policy().v1().podDisruptionBudget().inNamespace(ns).withName("checkout").edit(pdb -> {
            pdb.getSpec().setMinAvailable(null);
            pdb.getSpec().setMaxUnavailable(new IntOrString(1));
            return pdb;
        });

        Poll.until(Duration.ofSeconds(20), () -> holder(admin), "resume-b"::equals, "resume-b to take over the Lease");
        long takeover = System.nanoTime();
        Poll.until(Duration.ofSeconds(60), () -> b.metricValues("leakguard_pod_verdict", "verdict=\"(suspect|leaking|healthy)\"").sum(),
                n -> n > 0, "resume-b's first verdict");
        Duration toVerdict = Duration.ofNanos(System.nanoTime() - takeover);
        // The restart plan may act on a replica judged suspect whose OOM it finds due: either verdict is the leak judged.
        Poll.until(Duration.ofSeconds(60), () -> b.metricValues("leakguard_pod_verdict", "verdict=\"(suspect|leaking)\"").sum(),
                n -> n > 0, "resume-b judging the leak");
        Duration toJudged = Duration.ofNanos(System.nanoTime() - takeover);
        Poll.until(Duration.ofSeconds(60), () -> leakguardEvents(admin, ns, "Evicted"), e -> !e.isEmpty(), "resume-b's eviction");
        long evictedAt = System.currentTimeMillis();
        Duration toEviction = Duration.ofNanos(System.nanoTime() - takeover);
        long limitAt = firstStart.get() + Math.round((512 * 1024 * 1024 - 108 * MB) / (2 * MB) * 1000);
        System.out.printf("failover mid-leak: after resume-b took over, first verdict %.1f s, leak judged %.1f s, eviction %.1f s;"
                + " evicted %.1f s before the memory limit (a fresh detector would need most of the %d s window first)%n",
                toVerdict.toMillis() / 1000.0, toJudged.toMillis() / 1000.0, toEviction.toMillis() / 1000.0,
                (limitAt - evictedAt) / 1000.0, window.toSeconds());

        assertThat(b.output()).contains("replayed");
        assertThat(leakguardEvents(admin, ns, "Evicted")).singleElement()
                .satisfies(e -> assertThat(e.getSource().getHost()).isEqualTo("resume-b"));
        assertThat(toVerdict).as("time from takeover to the first verdict").isLessThan(window.dividedBy(3));
        assertThat(toEviction).as("time from takeover to the eviction").isLessThan(warmup.plus(window));
        assertThat(evictedAt).as("evicted before the leak reaches its limit").isLessThan(limitAt);
    }

    /**
     * JOSDK 5.3.2 cannot campaign again after losing the Lease: its LeaderElectionManager either calls System.exit
     * or only logs, and nothing stops its event processing — a deposed leader that stayed up would keep reconciling
     * next to the new one. So `leakguard run` keeps JOSDK's exit, and the kubelet restarts the container as a
     * follower. This measures what that costs: the leader is cut off from the API server (the follower is not);
     * it exits when it cannot renew within the renew deadline, and the follower leads once the Lease expires.
     */
    @Test
    void aLeaderCutOffFromTheApiServerExitsAndTheOtherLeadsWithinTheLease() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("lease-loss");
        CuttableProxy proxy = new CuttableProxy(URI.create(k8s.plane().url()));
        running.add(proxy);
        Path throughProxy = k8s.plane().writeKubeconfig("leakguard-cut-off", k8s.operatorToken(), proxy.url());

        OperatorProcess a = start("cut-off-a", ns, throughProxy);
        Poll.until(Duration.ofSeconds(60), () -> holder(admin), "cut-off-a"::equals, "cut-off-a to take the Lease");
        OperatorProcess b = start("cut-off-b", ns, k8s.operatorKubeconfig());
        Poll.until(Duration.ofSeconds(60), b::output, log -> log.contains("/metrics on :"), "cut-off-b running");

        long cut = System.nanoTime();
        proxy.cut();
        assertThat(a.process().waitFor(LEASE.toSeconds() + 10, TimeUnit.SECONDS)).as("the deposed leader exits").isTrue();
        Duration exited = Duration.ofNanos(System.nanoTime() - cut);
        Poll.until(LEASE.plusSeconds(15), () -> holder(admin), "cut-off-b"::equals, "cut-off-b to take over the Lease");
        Duration takeover = Duration.ofNanos(System.nanoTime() - cut);
        System.out.printf("leader election: cut-off-a exited (code %d) %.1f s after losing the API server; cut-off-b leads %.1f s after"
                + " (lease %d s)%n", a.process().exitValue(), exited.toMillis() / 1000.0, takeover.toMillis() / 1000.0, LEASE.toSeconds());
        assertThat(a.process().exitValue()).as("exit code of the deposed leader").isEqualTo(1);
        // Measured 22.4 s and 22.5 s: each renewal's requests are retried with fabric8's backoff past the 10 s renew
        // deadline. A leader cut off from the API server cannot write in that time either.
        assertThat(exited).as("time until the deposed leader exits").isLessThanOrEqualTo(LEASE.multipliedBy(2));
        assertThat(takeover).as("time to a new leader").isLessThanOrEqualTo(LEASE.multipliedBy(2));
    }

    private OperatorProcess start(String identity, String namespace) throws IOException {
        return start(identity, namespace, k8s.operatorKubeconfig());
    }

    private OperatorProcess start(String identity, String namespace, Path kubeconfig, String... flags) throws IOException {
        List<String> args = new ArrayList<>(List.of("--leader-election", "--lease-namespace", ControlPlane.OPERATOR_NAMESPACE,
                "--namespace", namespace, "--http-port", "0", "--probe-port", "0"));
        args.addAll(List.of(flags));
        OperatorProcess process = OperatorProcess.start(identity, kubeconfig, args);
        processes.add(process.process());
        return process;
    }

    private static String holder(KubernetesClient admin) {
        Lease lease = admin.leases().inNamespace(ControlPlane.OPERATOR_NAMESPACE).withName("leakguard-leader").get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    private static List<Event> leakguardEvents(KubernetesClient admin, String namespace, String reason) {
        return admin.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> "leakguard".equals(e.getSource().getComponent()) && (reason == null || reason.equals(e.getReason())))
                .toList();
    }
}
