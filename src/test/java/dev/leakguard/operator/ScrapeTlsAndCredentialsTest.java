package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.EvidenceStore;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.testing.CapturedStderr;
import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.TestCertificates;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPods;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.Verdict;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes over real TLS on loopback with credentials, the operator on the CRUD-mock API server: JDK HTTPS
 * servers with certificates from a CA made here (kube-rbac-proxy's part played by a server that answers
 * 401 without the right bearer token). The good endpoints are read and a leak among them is announced with evidence; a
 * wrong CA, an expired certificate and a missing Secret each leave their pod {@code unknown} with a
 * reason saying which, and are never acted on; and no token ever shows up where people or tools look.
 * Every pod here leaks toward its limit except two, so only a failure to read keeps one from being acted on.
 */
class ScrapeTlsAndCredentialsTest {
    private static final String NS = "shop";
    private static final long MIB = 1L << 20;
    private static final String SECRET_TOKEN = "secret-token-" + UUID.randomUUID();
    private static final String OWN_TOKEN = "service-account-token-" + UUID.randomUUID();

    @TempDir
    Path dir;
    private final List<LeakingEndpoint> endpoints = new ArrayList<>();
    private CapturedStderr logs;
    private DemoApiServer api;
    private KubernetesClient client;
    private MicrometerOperatorMetrics metrics;
    private LeakguardOperator operator;

    @BeforeEach
    void start() {
        logs = new CapturedStderr();
        api = new DemoApiServer();
        client = api.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        metrics = new MicrometerOperatorMetrics("test");
    }

    @AfterEach
    void stop() {
        if (operator != null) {
            operator.close();
        }
        endpoints.forEach(LeakingEndpoint::close);
        api.close();
        logs.close();
    }

    @Test
    void tlsAndTokensReachTheGoodEndpointsAndEachBrokenOneIsUnknownWithItsReasonNeverAnAction() throws IOException {
        TestCertificates.Authority ca = TestCertificates.authority("shop-ca");
        TestCertificates.Authority stranger = TestCertificates.authority("someone-else");
        Instant now = Instant.now();
        secret("scrape-ca", "ca.crt", ca.pem());
        secret("metrics-token", "token", SECRET_TOKEN + "\n");
        client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("scrape-ca").endMetadata()
                .withData(Map.of("ca.crt", ca.pem())).build()).create();
        Path tokenFile = Files.writeString(dir.resolve("token"), OWN_TOKEN);

        // Leaks toward its 200 MiB limit within a minute: evicted, with evidence, over TLS with a Secret's token.
        LeakingEndpoint leaking = endpoint(ca.serverContext("checkout.shop.svc"), SECRET_TOKEN, 150 * MIB, 2 * MIB);
        pod("leaking", leaking, """
                scheme: https
                tlsConfig: {ca: {secret: {name: scrape-ca, key: ca.crt}}, serverName: checkout.shop.svc}
                authorization: {credentials: {name: metrics-token, key: token}}""");
        // The cluster-CA case: a CA bundle from a ConfigMap, and the operator's own ServiceAccount token.
        LeakingEndpoint proxied = endpoint(ca.serverContext("127.0.0.1"), OWN_TOKEN, 50 * MIB, 0);
        pod("proxied", proxied, """
                scheme: https
                tlsConfig: {ca: {configMap: {name: scrape-ca, key: ca.crt}}}
                authorization: {type: ServiceAccount}""");
        LeakingEndpoint selfSigned = endpoint(stranger.serverContext("127.0.0.1"), null, 50 * MIB, 0);
        pod("insecure", selfSigned, """
                scheme: https
                tlsConfig: {insecureSkipVerify: true}""");
        LeakingEndpoint wrongCa = endpoint(stranger.serverContext("127.0.0.1"), null, 150 * MIB, 2 * MIB);
        pod("wrong-ca", wrongCa, """
                scheme: https
                tlsConfig: {ca: {secret: {name: scrape-ca, key: ca.crt}}}""");
        LeakingEndpoint expired = endpoint(ca.serverContext(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)), "127.0.0.1"),
                null, 150 * MIB, 2 * MIB);
        pod("expired", expired, """
                scheme: https
                tlsConfig: {ca: {secret: {name: scrape-ca, key: ca.crt}}}""");
        LeakingEndpoint unnamed = endpoint(ca.serverContext("127.0.0.1"), SECRET_TOKEN, 150 * MIB, 2 * MIB);
        pod("missing-secret", unnamed, """
                scheme: https
                tlsConfig: {ca: {secret: {name: scrape-ca, key: ca.crt}}}
                authorization: {credentials: {name: absent, key: token}}""");

        operator = new LeakguardOperator(client, ScaledClock.system(), metrics, LeakguardOperator.Settings.builder()
                .statusRefresh(Duration.ofMillis(500)).serviceAccountToken(tokenFile).build());
        operator.start();

        assertThat(memoryRead("proxied")).as("read with the ConfigMap CA and the operator's own token").isEqualTo(50.0 * MIB + LeakingEndpoint.NON_HEAP_BYTES);
        assertThat(memoryRead("insecure")).isEqualTo(50.0 * MIB + LeakingEndpoint.NON_HEAP_BYTES);
        assertThat(policy("insecure").getStatus().getWarnings()).singleElement().asString().contains("insecureSkipVerify is true");
        assertThat(policy("proxied").getStatus().getWarnings()).isNull();
        unknownBecause("wrong-ca", "TLS handshake failed: the pod's certificate is not signed by the CA of spec.metrics.tlsConfig.ca");
        unknownBecause("expired", "TLS handshake failed: the pod's certificate has expired");
        unknownBecause("missing-secret", "Secret shop/absent not found");
        assertThat(unnamed.requests()).as("nothing is sent without the credentials").isZero();

        // A bare pod is never evicted (nothing would bring it back); announcing the leak and keeping evidence is acting here.
        Poll.until(Duration.ofSeconds(60), () -> TestEvents.about(client, NS, "leaking-0"),
                events -> events.stream().anyMatch(e -> "OOMPredicted".equals(e.getReason())),
                "the leaking pod, read over TLS with the Secret's token, to be announced");
        Poll.until(Duration.ofSeconds(20), () -> client.configMaps().inNamespace(NS).withLabel(EvidenceStore.LABEL, "true").list().getItems(),
                items -> !items.isEmpty(), "evidence of the leaking pod, its metrics read again over TLS");
        for (String app : List.of("wrong-ca", "expired", "missing-secret")) {
            assertThat(TestEvents.about(client, NS, app + "-0")).as("%s is never announced", app)
                    .noneMatch(e -> "OOMPredicted".equals(e.getReason()));
        }
        for (String pod : List.of("wrong-ca-0", "expired-0", "missing-secret-0")) {
            assertThat(client.pods().inNamespace(NS).withName(pod).get()).as("%s is never acted on", pod).isNotNull();
        }

        assertThat(logs.text()).as("the operator's log, captured").contains("leakpolicyreconciler");
        String everywhere = String.join("\n",
                client.getKubernetesSerialization().asYaml(client.v1().events().inNamespace(NS).list()),
                client.getKubernetesSerialization().asYaml(client.resources(LeakPolicy.class).inNamespace(NS).list()),
                client.getKubernetesSerialization().asYaml(client.pods().inNamespace(NS).list()),
                evidence(),
                metrics.scrape(),
                logs.text());
        assertThat(everywhere).as("Events, status, pods, evidence, /metrics and logs").contains("leaking-0")
                .doesNotContain(SECRET_TOKEN).doesNotContain(OWN_TOKEN)
                .doesNotContain(Base64.getEncoder().encodeToString((SECRET_TOKEN + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    /** Every evidence ConfigMap, its gzip-compressed binary data decoded: what someone with `kubectl get cm` could read. */
    private String evidence() throws IOException {
        StringBuilder out = new StringBuilder();
        for (ConfigMap map : client.configMaps().inNamespace(NS).withLabel(EvidenceStore.LABEL, "true").list().getItems()) {
            out.append(client.getKubernetesSerialization().asYaml(map));
            for (String value : map.getBinaryData() == null ? List.<String>of() : map.getBinaryData().values()) {
                try (GZIPInputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(value)))) {
                    out.append(new String(gunzip.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        assertThat(out).as("the evidence holds the metrics read over TLS").contains(LeakingEndpoint.MEMORY);
        return out.toString();
    }

    private LeakingEndpoint endpoint(javax.net.ssl.SSLContext tls, String requiredToken, double heapAtStart, double bytesPerSecond) {
        LeakingEndpoint endpoint = LeakingEndpoint.overTls(tls, requiredToken, System.currentTimeMillis(), heapAtStart, bytesPerSecond);
        endpoints.add(endpoint);
        return endpoint;
    }

    private void pod(String app, LeakingEndpoint endpoint, String access) {
        client.pods().inNamespace(NS).resource(TestPods.running(NS, app + "-0", Map.of("app", app), endpoint.port(),
                String.valueOf(200 * MIB), Instant.now().minus(Duration.ofMinutes(1))).build()).create();
        client.resources(LeakPolicy.class).inNamespace(NS).resource(TestPolicies.fromSpec(NS, app, """
                selector: {matchLabels: {app: %s}}
                metrics:
                  port: metrics
                  interval: 1s
                  memory: app_memory_bytes
                %s
                detection: {window: 20s, warmup: 0s, horizon: 15s}
                action: {type: Evict}
                """.formatted(app, access.indent(2).stripTrailing()))).create();
    }

    /** A Secret as the API server stores it (the mock does not turn stringData into data). */
    private void secret(String name, String key, String value) {
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .withData(Map.of(key, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)))).build()).create();
    }

    /** The memory the operator read from the pod: pods that are fine do not appear in status, so ask the operator. */
    private double memoryRead(String app) {
        return Poll.until(Duration.ofSeconds(30), () -> operator.snapshot().values().stream().flatMap(List::stream)
                        .filter(v -> v.pod().name().equals(app + "-0")).findFirst().orElse(null),
                v -> v != null && v.verdict() != Verdict.UNKNOWN && v.assessment() != null && v.assessment().memoryBytes() > 0,
                app + " read").assessment().memoryBytes();
    }

    private void unknownBecause(String app, String reason) {
        TestPolicies.awaitUnknown(client, NS, app, app + "-0", reason);
    }

    private LeakPolicy policy(String app) {
        return client.resources(LeakPolicy.class).inNamespace(NS).withName(app).get();
    }
}
