package dev.leakguard.operator;

import dev.leakguard.policy.PrometheusUrlAllowList;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.LeakPolicyStatus;
import dev.leakguard.api.PodRisk;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.PrometheusServer;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPods;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.Sample;
import dev.leakguard.trend.Verdict;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * leakguard reading from a real Prometheus (Debian's {@code prometheus}, started on 127.0.0.1) that
 * scrapes a real loopback endpoint, with the operator on the CRUD-mock API server. The pods' own IP
 * and port lead nowhere, so every sample must come through Prometheus. Time is real: Prometheus
 * stamps samples with the wall clock, so minutes of past leak are preloaded as TSDB blocks.
 */
class PrometheusSourceIntegrationTest {
    private static final String NS = "shop";
    private static final long MIB = 1L << 20;

    private DemoApiServer api;
    private KubernetesClient client;
    private MicrometerOperatorMetrics metrics;
    private LeakguardOperator operator;
    private LeakingEndpoint endpoint;
    private PrometheusServer prometheus;
    private int deadPort;

    @BeforeEach
    void startApiServer() throws IOException {
        api = new DemoApiServer();
        client = api.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        metrics = new MicrometerOperatorMetrics("test");
        deadPort = closedPort();
    }

    @AfterEach
    void stopAll() {
        if (operator != null) {
            operator.close();
        }
        if (prometheus != null) {
            prometheus.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        api.close();
    }

    /**
     * Prometheus holds ten minutes of a leak that reaches the limit in about three; an operator that
     * starts now backfills the window with one range query and says LEAKING on its first read.
     */
    @Test
    void restartedOperatorDecidesOnItsFirstCycleFromBackfilledHistory() {
        long now = System.currentTimeMillis();
        long containerStart = now - Duration.ofMinutes(15).toMillis();
        double bytesPerSecond = 200_000;
        endpoint = new LeakingEndpoint(containerStart, 120 * 1_000_000.0, bytesPerSecond, 0.5);
        long limitBytes = Math.round(endpoint.memoryAt(now) + bytesPerSecond * 180);
        PrometheusServer.Target target = new PrometheusServer.Target("checkout", endpoint.address(),
                Map.of("namespace", NS, "pod", "checkout-0"));
        long historyStart = now - Duration.ofMinutes(10).toMillis();
        prometheus = PrometheusServer.start(List.of(target),
                endpoint.history(historyStart, now - 1000, 1000, target.seriesLabels()));
        prometheus.awaitSeries("timestamp(" + LeakingEndpoint.MEMORY + "{pod=\"checkout-0\"}) > " + now / 1000, Duration.ofSeconds(20));
        createPod("checkout-0", "checkout", containerStart, limitBytes);
        String policyYaml = """
                selector: {matchLabels: {app: checkout}}
                metrics: {source: prometheus, prometheusUrl: '%s', port: metrics, interval: 5s, memory: app_memory_bytes, threads: go_goroutines}
                detection: {window: 10m, warmup: 1m, horizon: 5m}
                action: {type: Annotate}
                """.formatted(prometheus.url());

        List<Sample> history = directHistory(policyYaml, containerStart);
        assertThat(history).as("10 minutes at a 5 s step from the preloaded blocks").hasSizeGreaterThanOrEqualTo(110);
        assertThat(history.get(history.size() - 1).memoryBytes()).isGreaterThan(history.get(0).memoryBytes() + 100 * 1_000_000.0);

        startOperator();
        long created = System.nanoTime();
        client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "checkout", policyYaml)).create();

        Pod leaking = Poll.until(Duration.ofSeconds(30), () -> client.pods().inNamespace(NS).withName("checkout-0").get(),
                p -> "leaking".equals(TestPods.annotation(p, PodAnnotations.VERDICT)), "checkout-0 annotated as leaking");
        Duration took = Duration.ofNanos(System.nanoTime() - created);
        double readsBeforeVerdict = scrapes("success");
        assertThat(readsBeforeVerdict).as("instant reads before the verdict (took %s)", took).isBetween(1.0, 2.0);
        PodView view = operator.snapshot().get(new PolicyKey(NS, "checkout")).get(0);
        assertThat(view.assessment().samples()).as("samples in the window right after start").isGreaterThanOrEqualTo(100);
        assertThat(Double.parseDouble(TestPods.annotation(leaking, PodAnnotations.SECONDS_TO_LIMIT))).isBetween(60.0, 300.0);
        Poll.until(Duration.ofSeconds(10), () -> TestEvents.about(client, NS, "checkout-0"),
                events -> events.stream().anyMatch(e -> "OOMPredicted".equals(e.getReason())), "an OOMPredicted event");
    }

    /** No history worth the name: the leak is seen live, one instant query per interval, from Prometheus data alone. */
    @Test
    void leakIsDetectedLiveFromPrometheusWhileThePodItselfIsUnreachable() {
        long start = System.currentTimeMillis();
        endpoint = new LeakingEndpoint(start, 100 * MIB, 2 * MIB, 2);
        PrometheusServer.Target target = new PrometheusServer.Target("orders", endpoint.address(),
                Map.of("namespace", NS, "pod", "orders-0"));
        prometheus = PrometheusServer.start(List.of(target));
        prometheus.awaitSeries(LeakingEndpoint.MEMORY + "{pod=\"orders-0\"}", Duration.ofSeconds(20));
        long limitBytes = Math.round(endpoint.memoryAt(System.currentTimeMillis()) + 2 * MIB * 30);
        createPod("orders-0", "orders", start, limitBytes);
        startOperator();
        client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, "orders", """
                selector: {matchLabels: {app: orders}}
                metrics: {source: prometheus, port: metrics, interval: 1s, memory: 'app_memory_bytes{area=~"heap|nonheap"}', threads: go_goroutines}
                detection: {window: 20s, warmup: 0s, horizon: 15s}
                action: {type: Evict, dryRun: true}
                """)).create();

        Poll.until(Duration.ofSeconds(45), () -> client.pods().inNamespace(NS).withName("orders-0").get(),
                p -> "leaking".equals(TestPods.annotation(p, PodAnnotations.VERDICT)), "orders-0 annotated as leaking");
        List<Event> events = Poll.until(Duration.ofSeconds(10), () -> TestEvents.about(client, NS, "orders-0"),
                e -> e.stream().anyMatch(x -> "OOMPredicted".equals(x.getReason())), "an OOMPredicted event");
        assertThat(events.stream().filter(e -> "OOMPredicted".equals(e.getReason())).findFirst().orElseThrow().getMessage())
                .contains("go_goroutines");
        assertThat(scrapes("connection")).as("the pod's own endpoint is never read").isZero();
    }

    /** Prometheus down, a query it rejects, a pod it has no series for: unknown in status with the reason, and no action. */
    @Test
    void prometheusErrorsSurfaceInStatusAndNeverAsAnAction() {
        long now = System.currentTimeMillis();
        endpoint = new LeakingEndpoint(now, 100 * MIB, 2 * MIB, 2);
        PrometheusServer.Target target = new PrometheusServer.Target("api", endpoint.address(),
                Map.of("namespace", NS, "pod", "down-0"));
        prometheus = PrometheusServer.start(List.of(target));
        record Case(String app, String metrics, String result, String message) {
        }
        List<Case> cases = List.of(
                new Case("down", "{source: prometheus, prometheusUrl: 'http://127.0.0.1:" + deadPort + "', port: metrics, interval: 1s}",
                        "connection", "Prometheus http://127.0.0.1:" + deadPort + ": connect failed"),
                new Case("badquery", "{source: prometheus, port: metrics, interval: 1s, memory: 'app_memory_bytes{area=~\"(?=heap)\"}'}",
                        "bad_query", "answered HTTP 400, bad_data:"),
                new Case("nodata", "{source: prometheus, port: metrics, interval: 1s, memory: app_memory_bytes}",
                        "no_data", "no series matches for app_memory_bytes{namespace=\"shop\",pod=\"nodata-0\"}"));
        for (Case c : cases) {
            createPod(c.app() + "-0", c.app(), now, 200 * MIB);
        }
        startOperator();
        for (Case c : cases) {
            client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, c.app(), """
                    selector: {matchLabels: {app: %s}}
                    metrics: %s
                    detection: {window: 20s, warmup: 0s, horizon: 15s}
                    action: {type: Evict}
                    """.formatted(c.app(), c.metrics()))).create();
        }

        for (Case c : cases) {
            LeakPolicy policy = Poll.until(Duration.ofSeconds(20),
                    () -> client.resources(LeakPolicy.class).inNamespace(NS).withName(c.app()).get(),
                    p -> riskOf(p.getStatus(), c.app() + "-0") != null && "unknown".equals(riskOf(p.getStatus(), c.app() + "-0").getVerdict()),
                    c.app() + " pod unknown in status");
            assertThat(riskOf(policy.getStatus(), c.app() + "-0").getMessage()).as(c.app()).contains(c.message());
            assertThat(policy.getStatus().getUnknown()).isEqualTo(1);
            assertThat(scrapes(c.result())).as("scrapes with result %s", c.result()).isPositive();
        }
        assertThat(operator.snapshot().values()).allSatisfy(views ->
                assertThat(views).allSatisfy(v -> assertThat(v.verdict()).isEqualTo(Verdict.UNKNOWN)));
        for (Case c : cases) {
            assertThat(client.pods().inNamespace(NS).withName(c.app() + "-0").get()).as("pod %s not evicted", c.app()).isNotNull();
            assertThat(TestEvents.about(client, NS, c.app() + "-0")).noneMatch(e -> "OOMPredicted".equals(e.getReason()));
        }
    }

    private List<Sample> directHistory(String policyYaml, long containerStart) {
        PolicyResolver.Result resolved = new PolicyResolver(PrometheusUrlAllowList.of(prometheus.url(), List.of())).resolve(TestPolicies.fromSpec(NS, "checkout", policyYaml));
        ResolvedPolicy policy = ((PolicyResolver.Valid) resolved).policy();
        ScrapeTarget target = new ScrapeTarget(new PodKey(NS, "checkout-0"), "uid", "app",
                java.net.URI.create("http://127.0.0.1:" + deadPort + "/metrics"), null, Double.NaN, null, containerStart, 0);
        try (HttpFetcher fetcher = new HttpFetcher(4)) {
            return new PrometheusSampleSource(fetcher, FetchLimits.metricsDefaults(), PrometheusPodLabels.defaults())
                    .history(policy, target, System.currentTimeMillis()).join();
        }
    }

    private void startOperator() {
        operator = new LeakguardOperator(client, ScaledClock.system(), metrics, LeakguardOperator.Settings.builder()
                .statusRefresh(Duration.ofMillis(500))
                // The "down" policy names a server of its own: allowed here, as an operator's admin would allow it.
                .prometheusServers(PrometheusUrlAllowList.of(prometheus.url(), List.of("http://127.0.0.1:" + deadPort)))
                .build());
        operator.start();
    }

    private double scrapes(String result) {
        return metrics.registry().find("leakguard_scrapes").tag("result", result).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static PodRisk riskOf(LeakPolicyStatus status, String pod) {
        if (status == null || status.getRiskiestPods() == null) {
            return null;
        }
        return status.getRiskiestPods().stream().filter(r -> pod.equals(r.getPod())).findFirst().orElse(null);
    }

    /** A running pod whose own metrics port leads nowhere: a closed port on 127.0.0.1. */
    private void createPod(String name, String app, long containerStartMillis, long limitBytes) {
        Pod pod = TestPods.running(NS, name, Map.of("app", app), deadPort, String.valueOf(limitBytes),
                Instant.ofEpochMilli(containerStartMillis)).build();
        client.pods().inNamespace(NS).resource(pod).create();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
