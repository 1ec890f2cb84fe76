package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.PodRisk;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.policy.PrometheusUrlAllowList;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPods;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whoever may create a LeakPolicy must not be able to make the operator send requests to an address of
 * their choosing. The operator's admin allows one Prometheus ({@code --allowed-prometheus-urls}); the
 * policies name hostile URLs, and an internal service listens where they point: it must never be asked.
 */
class PrometheusUrlSsrfTest {
    private static final String NS = "shop";

    private final MockWebServer allowed = new MockWebServer();
    private final MockWebServer internal = new MockWebServer();
    private DemoApiServer api;
    private KubernetesClient client;
    private LeakguardOperator operator;

    @BeforeEach
    void start() throws IOException {
        internal.start(InetAddress.getLoopbackAddress(), 0);
        // The allowed server has been taken over (or is a proxy): it redirects every query to the internal service.
        allowed.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return new MockResponse.Builder().code(302).addHeader("Location", internal.url("/latest/meta-data/").toString()).build();
            }
        });
        allowed.start(InetAddress.getLoopbackAddress(), 0);
        api = new DemoApiServer();
        client = api.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        client.pods().inNamespace(NS).resource(TestPods.running(NS, "checkout-0", Map.of("app", "checkout"), 9,
                "512Mi", Instant.now()).build()).create();
        operator = new LeakguardOperator(client, ScaledClock.system(), new MicrometerOperatorMetrics("test"),
                LeakguardOperator.Settings.builder().statusRefresh(Duration.ofMillis(500))
                        .prometheusServers(PrometheusUrlAllowList.of(null, List.of(baseUrl(allowed)))).build());
        operator.start();
    }

    @AfterEach
    void stop() throws IOException {
        if (operator != null) {
            operator.close();
        }
        api.close();
        allowed.close();
        internal.close();
    }

    @Test
    void policiesNamingAnotherServerAreInvalidNamingTheFlagAndNothingIsRequested() {
        String internalPort = String.valueOf(internal.getPort());
        Map<String, String> hostile = Map.of(
                "other-host", baseUrl(internal),
                "user-info", "http://" + allowed.getHostName() + ":" + allowed.getPort() + "@127.0.0.1:" + internalPort,
                "ipv6-literal", "http://[::ffff:127.0.0.1]:" + internalPort,
                "not-http", "gopher://127.0.0.1:" + internalPort + "/_FLUSHALL");
        hostile.forEach((name, url) -> create(name, url));

        for (String name : hostile.keySet()) {
            LeakPolicy policy = Poll.until(Duration.ofSeconds(20), () -> client.resources(LeakPolicy.class).inNamespace(NS).withName(name).get(),
                    p -> p.getStatus() != null && p.getStatus().getConditions() != null && !p.getStatus().getConditions().isEmpty(),
                    "status on " + name);
            Condition ready = policy.getStatus().getConditions().get(0);
            assertThat(ready.getReason()).as(name).isEqualTo("InvalidSpec");
            assertThat(ready.getMessage()).as(name).contains("spec.metrics.prometheusUrl");
            assertThat(policy.getStatus().getWatched()).as(name).isZero();
            Poll.until(Duration.ofSeconds(10), () -> TestEvents.about(client, NS, name),
                    events -> events.stream().anyMatch(e -> "InvalidSpec".equals(e.getReason()) && e.getMessage().contains("spec.metrics.prometheusUrl")),
                    "an InvalidSpec event for " + name);
        }
        assertThat(policyMessage("other-host")).contains("--allowed-prometheus-urls");
        assertThat(internal.getRequestCount()).as("requests that reached the internal service").isZero();
        assertThat(allowed.getRequestCount()).as("no policy reads the allowed server").isZero();
    }

    @Test
    void aRedirectFromTheAllowedServerIsNotFollowedAndThePodIsUnknown() {
        create("redirected", baseUrl(allowed));

        LeakPolicy policy = Poll.until(Duration.ofSeconds(20), () -> client.resources(LeakPolicy.class).inNamespace(NS).withName("redirected").get(),
                p -> risk(p) != null && "unknown".equals(risk(p).getVerdict()), "checkout-0 unknown in status");
        assertThat(risk(policy).getMessage()).contains("redirect 302").contains("not followed");
        assertThat(allowed.getRequestCount()).isPositive();
        assertThat(internal.getRequestCount()).as("requests that reached the redirect's target").isZero();
        assertThat(client.pods().inNamespace(NS).withName("checkout-0").get()).isNotNull();
    }

    private void create(String name, String url) {
        client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, name, """
                selector: {matchLabels: {app: checkout}}
                metrics: {source: prometheus, prometheusUrl: '%s', port: metrics, interval: 1s}
                detection: {window: 20s, warmup: 0s, horizon: 15s}
                action: {type: Evict}
                """.formatted(url))).create();
    }

    private String policyMessage(String name) {
        return client.resources(LeakPolicy.class).inNamespace(NS).withName(name).get().getStatus().getConditions().get(0).getMessage();
    }

    private static PodRisk risk(LeakPolicy policy) {
        if (policy.getStatus() == null || policy.getStatus().getRiskiestPods() == null) {
            return null;
        }
        return policy.getStatus().getRiskiestPods().stream().filter(r -> "checkout-0".equals(r.getPod())).findFirst().orElse(null);
    }

    private static String baseUrl(MockWebServer server) {
        return "http://127.0.0.1:" + server.getPort();
    }
}
