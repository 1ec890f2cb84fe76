package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.ControlPlane;
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
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.micrometer.core.instrument.Counter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How the real kube-apiserver refuses evictions, and what leakguard makes of each answer: a PodDisruptionBudget
 * that allows no disruption (429 with a {@code DisruptionBudget} cause) and a pod under two budgets (500, which
 * the eviction subresource gives until the budgets are fixed). Each gets its own Event reason and metric
 * result, one Event per episode, and a backoff: a handful of requests, not one per scrape.
 */
class EvictionAnswersTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final String OPERATOR = "system:serviceaccount:leakguard:leakguard";
    private final ScaledClock clock = ScaledClock.compressed(Instant.now(), 300);
    @RegisterExtension
    final RunningUntilTestEnds running = new RunningUntilTestEnds();

    @Test
    void aBudgetThatAllowsNoDisruptionAndAPodUnderTwoBudgetsAreToldApartAndBackedOff() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("answers");
        Workloads workloads = new Workloads(admin, ns);
        Kubelet kubelet = new Kubelet(admin);
        for (String app : List.of("blocked", "doubled")) {
            int port = Workloads.freePort();
            running.add(kubelet.serve(ns, Map.of("app", app), (pod, ip) -> new SimulatedContainer(
                    SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, clock, pod.getMetadata().getName().hashCode(),
                    new InetSocketAddress(ip, port)), clock::instant));
            workloads.deployment(app, 2, Map.of("app", app, "runtime", "go"), port, "512Mi");
        }
        workloads.minAvailable("blocked", 2);
        workloads.maxUnavailable("doubled", 1);
        admin.policy().v1().podDisruptionBudget().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.policy.v1
                .PodDisruptionBudgetBuilder().withNewMetadata().withName("doubled-too").withNamespace(ns).endMetadata()
                .withNewSpec().withMaxUnavailable(new io.fabric8.kubernetes.api.model.IntOrString(1)).withNewSelector()
                .withMatchLabels(Map.of("runtime", "go", "app", "doubled")).endSelector().endSpec().build()).create();
        Poll.until(Duration.ofSeconds(30), () -> admin.pods().inNamespace(ns).list().getItems().stream()
                .filter(p -> p.getStatus().getPodIP() != null).count() == 4, "four running pods");

        // The server's own answers, as leakguard reads them.
        Pod blockedPod = admin.pods().inNamespace(ns).withLabel("app", "blocked").list().getItems().get(0);
        Pod doubledPod = admin.pods().inNamespace(ns).withLabel("app", "doubled").list().getItems().get(0);
        Poll.until(Duration.ofSeconds(30), () -> admin.policy().v1().podDisruptionBudget().inNamespace(ns).withName("blocked").get(),
                b -> b.getStatus() != null && b.getStatus().getObservedGeneration() != null, "the budget's status from kube-controller-manager");
        HttpResponse<String> budgetAnswer = evict(admin, blockedPod);
        HttpResponse<String> twoBudgetsAnswer = evict(admin, doubledPod);
        System.out.println("eviction under a budget allowing none: " + budgetAnswer.code() + " " + budgetAnswer.body());
        System.out.println("eviction under two budgets: " + twoBudgetsAnswer.code() + " " + twoBudgetsAnswer.body());
        assertThat(budgetAnswer.code()).isEqualTo(429);
        assertThat(budgetAnswer.body()).contains("\"reason\":\"DisruptionBudget\"");
        assertThat(twoBudgetsAnswer.code()).isEqualTo(500);
        assertThat(twoBudgetsAnswer.body()).contains("more than one PodDisruptionBudget");

        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "go", """
                selector: {matchLabels: {runtime: go}}
                metrics: {port: metrics, interval: 15s, threads: go_goroutines}
                detection: {window: 30m, warmup: 5m, horizon: 15m}
                action: {type: Evict, maxConcurrent: 2, cooldown: 10m}
                """)).create();
        MicrometerOperatorMetrics metrics = new MicrometerOperatorMetrics("test");
        try (KubernetesClient operatorClient = k8s.operatorClient();
             LeakguardOperator operator = new LeakguardOperator(operatorClient, clock, metrics,
                     LeakguardOperator.Settings.builder().statusRefresh(Duration.ofSeconds(150)).build())) {
            operator.start();

            Event misconfigured = Poll.until(Duration.ofSeconds(120), () -> TestEvents.withReason(admin, ns, "DisruptionBudgetMisconfigured"),
                    e -> !e.isEmpty(), "DisruptionBudgetMisconfigured for a doubled pod").get(0);
            assertThat(misconfigured.getMessage()).contains("pdb-misconfigured", "doubled", "doubled-too", "more than one PodDisruptionBudget");
            Event blocked = Poll.until(Duration.ofSeconds(60), () -> TestEvents.withReason(admin, ns, "RestartBlocked"),
                    e -> e.stream().anyMatch(x -> x.getMessage().contains("disruption-budget")), "RestartBlocked for a blocked pod")
                    .stream().filter(x -> x.getMessage().contains("disruption-budget")).findFirst().orElseThrow();
            assertThat(blocked.getInvolvedObject().getName()).startsWith("blocked-");
            assertThat(blocked.getMessage()).contains("PodDisruptionBudget blocked", "never bypasses");
            // Let the backoff run for a while (10 simulated minutes) and count what was sent.
            Thread.sleep(2000);

            assertThat(counter(metrics, "pdb_misconfigured")).isPositive();
            assertThat(counter(metrics, "pdb_blocked")).isPositive();
            assertThat(counter(metrics, "throttled")).isZero();
            List<ControlPlane.AuditedRequest> evictions = k8s.plane().auditedRequests(OPERATOR).stream()
                    .filter(r -> r.namespace().equals(ns) && r.subresource().equals("eviction")).toList();
            assertThat(evictions).as("evictions sent").isNotEmpty().allSatisfy(r -> assertThat(r.code()).isIn(429, 500));
            long perPod = evictions.stream().collect(java.util.stream.Collectors.groupingBy(ControlPlane.AuditedRequest::name,
                    java.util.stream.Collectors.counting())).values().stream().mapToLong(Long::longValue).max().orElse(0);
            assertThat(perPod).as("eviction requests per pod in ~20 simulated minutes: backed off, not one per scrape")
                    .isLessThanOrEqualTo(6);
            for (String reason : List.of("DisruptionBudgetMisconfigured", "RestartBlocked")) {
                assertThat(TestEvents.withReason(admin, ns, reason)).as("one " + reason + " Event per pod and episode")
                        .allSatisfy(e -> assertThat(e.getCount()).isEqualTo(1));
            }
            assertThat(admin.pods().inNamespace(ns).list().getItems()).as("nothing evicted").hasSize(4);
        }
    }

    /** One eviction as leakguard sends it (no client retries), answered by the real server. */
    private static HttpResponse<String> evict(KubernetesClient admin, Pod pod) throws Exception {
        HttpClient http = admin.getHttpClient().newBuilder().tag(new RequestConfigBuilder().withRequestRetryBackoffLimit(0).build()).build();
        String path = "api/v1/namespaces/" + pod.getMetadata().getNamespace() + "/pods/" + pod.getMetadata().getName() + "/eviction";
        String body = "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"" + pod.getMetadata().getName()
                + "\",\"namespace\":\"" + pod.getMetadata().getNamespace() + "\"},\"deleteOptions\":{\"dryRun\":[\"All\"]}}";
        return http.sendAsync(http.newHttpRequestBuilder().uri(admin.getMasterUrl().toURI().resolve(path))
                .post("application/json", body).build(), String.class).get();
    }

    private static double counter(MicrometerOperatorMetrics metrics, String result) {
        return metrics.registry().find("leakguard_actions").tags("type", "evict", "result", result).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

}
