package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.CapturedStderr;
import dev.leakguard.testing.ExternalTool;
import dev.leakguard.testing.KubeRbacProxy;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.ProjectRoot;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.TestCertificates;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.Verdict;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code authorization: {type: ServiceAccount}} against kube-rbac-proxy's checks on the real API server: the
 * operator, as its ServiceAccount with the shipped RBAC, sends its real token (from a file, as the kubelet
 * projects it) over TLS to a proxy in front of each pod's metrics that asks the server for a TokenReview and a
 * SubjectAccessReview. Without a grant the server forbids it (403) and the pod is {@code unknown}, never acted on;
 * after applying {@code deploy/app-namespace/clusterrole-metrics-reader.yaml} the same scrapes are read and the
 * leak is announced; a Secret's token the server does not authenticate stays 401 and {@code unknown} throughout.
 * Both pods leak toward their limit, so only a refused read keeps one from being announced.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubeRbacProxyTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final String SERVICE_ACCOUNT = "system:serviceaccount:leakguard:leakguard";
    private static final Path METRICS_READER = ProjectRoot.PATH.resolve("deploy/app-namespace/clusterrole-metrics-reader.yaml");
    private static final String FORGED_TOKEN = "not-a-kubernetes-token-" + UUID.randomUUID();
    private static final long MIB = 1L << 20;

    @TempDir
    static Path dir;
    /** Pushed as started, so closed the operator first, then the log capture, its client, the pods' containers. */
    private static final Deque<AutoCloseable> running = new ArrayDeque<>();
    private static final Map<String, KubeRbacProxy> proxies = new ConcurrentHashMap<>();
    private static String ns;
    private static String operatorToken;
    private static KubernetesClient admin;
    private static MicrometerOperatorMetrics metrics;
    private static LeakguardOperator operator;
    private static CapturedStderr logs;

    @BeforeAll
    static void startTheOperatorBehindProxies() throws Exception {
        k8s.installLeakguard();
        admin = k8s.admin();
        ns = k8s.namespace("rbac-proxy");
        TestCertificates.Authority ca = TestCertificates.authority("rbac-proxy-ca");
        admin.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("serving-ca").endMetadata()
                .withData(Map.of("ca.crt", ca.pem())).build()).create();
        // A Secret's token the operator may read (the documented per-namespace Role) but the API server never issued.
        admin.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("metrics-token").endMetadata()
                .withStringData(Map.of("token", FORGED_TOKEN)).build()).create();
        for (HasMetadata object : admin.getKubernetesSerialization().<List<HasMetadata>>unmarshal(
                Files.readString(ProjectRoot.PATH.resolve("deploy/app-namespace/role-scrape-credentials.yaml")))) {
            object.getMetadata().setNamespace(ns);
            admin.resource(object).create();
        }

        Kubelet kubelet = new Kubelet(admin);
        Workloads workloads = new Workloads(admin, ns);
        for (String app : List.of("proxied", "forged")) {
            int port = Workloads.freePort();
            running.push(kubelet.serve(ns, Map.of("app", app), (pod, ip) -> behindProxy(app, ca, ip, port)));
            workloads.barePod(app, Map.of("app", app), port, "200Mi");
        }
        createPolicy("proxied", "authorization: {type: ServiceAccount}");
        createPolicy("forged", "authorization: {credentials: {name: metrics-token, key: token}}");

        // The operator's projected token, as the kubelet would write it in the pod.
        operatorToken = k8s.operatorToken();
        Path tokenFile = Files.writeString(dir.resolve("token"), operatorToken);
        logs = new CapturedStderr();
        running.push(logs);
        KubernetesClient operatorClient = k8s.operatorClient();
        running.push(operatorClient);
        metrics = new MicrometerOperatorMetrics("test");
        operator = new LeakguardOperator(operatorClient, ScaledClock.system(), metrics, LeakguardOperator.Settings.builder()
                .statusRefresh(Duration.ofMillis(500)).serviceAccountToken(tokenFile).build());
        running.push(operator);
        operator.start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : running) {
            closeable.close();
        }
        // The grant is cluster-wide: other classes on this control plane must not inherit it.
        k8s.kubectl("delete", "--ignore-not-found", "-f", METRICS_READER.toString());
    }

    @Test
    @Order(1)
    void beforeAnyGrantTheServerForbidsTheOperatorAndItsPodIsUnknownNeverActedOn() {
        unknownBecause("proxied", "HTTP status 403: the endpoint authenticated the operator but forbids it (behind kube-rbac-proxy,"
                + " grant its ServiceAccount get on /metrics: deploy/app-namespace/clusterrole-metrics-reader.yaml)");
        KubeRbacProxy proxy = proxies.get("proxied");
        assertThat(proxy.authenticatedUsers()).as("the API server authenticated the operator's token").containsExactly(SERVICE_ACCOUNT);
        assertThat(proxy.answered(403)).isPositive();
        assertThat(proxy.answered(200)).as("no metrics passed the proxy").isZero();
        assertThat(scrapes("proxied", "http_status")).as("leakguard_scrapes_total{result=\"http_status\"}").isPositive();
        assertThat(TestEvents.about(admin, ns, "proxied")).as("no Event about a pod it cannot read").isEmpty();
    }

    @Test
    @Order(2)
    void afterTheDocumentedGrantTheOperatorReadsThroughTheProxyAndTheLeakIsAnnounced() {
        ExternalTool.Result applied = k8s.kubectl("apply", "-f", METRICS_READER.toString());
        assertThat(applied.exitCode()).as("kubectl apply -f %s: %s", METRICS_READER.getFileName(), applied.output()).isZero();
        assertThat(k8s.kubectl("auth", "can-i", "get", "/metrics", "--as=" + SERVICE_ACCOUNT).output().trim()).isEqualTo("yes");

        double memory = Poll.until(Duration.ofSeconds(30), () -> operator.snapshot().values().stream().flatMap(List::stream)
                        .filter(v -> v.pod().name().equals("proxied")).findFirst().orElse(null),
                v -> v != null && v.verdict() != Verdict.UNKNOWN && v.assessment() != null && v.assessment().memoryBytes() > 0,
                "the proxied pod read through the proxy").assessment().memoryBytes();
        assertThat(memory).isGreaterThan(LeakingEndpoint.NON_HEAP_BYTES);
        assertThat(proxies.get("proxied").answered(200)).isPositive();
        Poll.until(Duration.ofSeconds(90), () -> TestEvents.about(admin, ns, "proxied"),
                events -> events.stream().anyMatch(e -> "OOMPredicted".equals(e.getReason())),
                "the proxied pod's leak, read with the operator's token, to be announced");
        LeakPolicy policy = admin.resources(LeakPolicy.class).inNamespace(ns).withName("proxied").get();
        assertThat(policy.getStatus().getWatched()).isEqualTo(1);
        assertThat(TestPolicies.riskiestPod(admin, ns, "proxied", "proxied").getVerdict()).isNotEqualTo("unknown");
    }

    @Test
    @Order(3)
    void aTokenTheServerDoesNotAuthenticateIsUnauthorizedUnknownAndNeverActedOn() {
        unknownBecause("forged", "HTTP status 401: the endpoint did not authenticate the request");
        KubeRbacProxy proxy = proxies.get("forged");
        assertThat(proxy.answered(401)).isPositive();
        assertThat(proxy.authenticatedUsers()).isEmpty();
        assertThat(proxy.answered(200)).isZero();
        assertThat(scrapes("forged", "http_status")).isPositive();
        assertThat(TestEvents.about(admin, ns, "forged")).as("never announced while the proxied pod next to it is").isEmpty();
        assertThat(admin.pods().inNamespace(ns).withName("forged").get()).isNotNull();

        String everywhere = String.join("\n",
                admin.getKubernetesSerialization().asYaml(admin.v1().events().inNamespace(ns).list()),
                admin.getKubernetesSerialization().asYaml(admin.resources(LeakPolicy.class).inNamespace(ns).list()),
                admin.getKubernetesSerialization().asYaml(admin.pods().inNamespace(ns).list()),
                metrics.scrape(),
                logs.text());
        assertThat(logs.text()).as("the operator's log, captured").contains("leakpolicyreconciler");
        assertThat(everywhere).as("Events, status, pods, /metrics and the operator's log").contains("proxied").contains("HTTP status 401")
                .doesNotContain(FORGED_TOKEN).doesNotContain(operatorToken);
    }

    /** The pod's container: a leaking /metrics on plain loopback HTTP, and kube-rbac-proxy on the pod's IP in front of it. */
    private static AutoCloseable behindProxy(String app, TestCertificates.Authority ca, InetAddress podIp, int port) {
        // 120 MiB growing 1 MiB/s toward 200Mi: announced within about a minute once read.
        LeakingEndpoint metricsOnly = new LeakingEndpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                System.currentTimeMillis(), 120 * MIB, MIB, 0);
        KubeRbacProxy proxy = new KubeRbacProxy(new InetSocketAddress(podIp, port), ca.serverContext(podIp.getHostAddress()), admin,
                URI.create("http://" + metricsOnly.address() + "/metrics"));
        proxies.put(app, proxy);
        return () -> {
            proxy.close();
            metricsOnly.close();
        };
    }

    private static void createPolicy(String app, String authorization) {
        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, app, """
                selector: {matchLabels: {app: %s}}
                metrics:
                  port: metrics
                  interval: 1s
                  memory: app_memory_bytes
                  scheme: https
                  tlsConfig: {ca: {configMap: {name: serving-ca, key: ca.crt}}}
                  %s
                detection: {window: 60s, warmup: 0s, horizon: 50s}
                action: {type: Evict}
                """.formatted(app, authorization))).create();
    }

    /** leakguard_scrapes_total of the policy {@code app} for {@code result}, as /metrics serves it. */
    private static double scrapes(String app, String result) {
        Matcher m = Pattern.compile("(?m)^leakguard_scrapes_total\\{namespace=\"" + ns + "\",policy=\"" + app + "\",result=\"" + result
                + "\"} (\\S+)$").matcher(metrics.scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static void unknownBecause(String app, String reason) {
        TestPolicies.awaitUnknown(admin, ns, app, app, reason);
    }
}
