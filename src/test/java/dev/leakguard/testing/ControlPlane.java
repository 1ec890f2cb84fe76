package dev.leakguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC authorization, a
 * service-account issuer and signing key, so TokenRequest and ServiceAccount tokens are real) and
 * kube-controller-manager running the controllers leakguard's scenarios depend on (Deployments and
 * ReplicaSets create pods, the disruption controller keeps PodDisruptionBudget status, the garbage
 * collector follows owner references, namespaces are cleaned up). No scheduler and no kubelet: tests
 * play the kubelet by writing pod status ({@link Kubelet}).
 *
 * <p>The binaries are built from Go modules by {@code src/test/k8s/build.sh}; {@link #binaries()} finds
 * them in the same cache folder.
 */
public final class ControlPlane implements AutoCloseable {
    /** The operator's ServiceAccount, as in deploy/base. */
    public static final String OPERATOR_NAMESPACE = "leakguard";
    public static final String OPERATOR_SERVICE_ACCOUNT = "leakguard";

    /**
     * kcm controllers the tests rely on. StatefulSet and DaemonSet controllers stay off: tests make those
     * workloads' pods themselves (there are no nodes for a DaemonSet), and a running controller would fight them.
     */
    private static final String CONTROLLERS = String.join(",", "deployment-controller", "replicaset-controller",
            "disruption-controller", "garbage-collector-controller", "namespace-controller", "serviceaccount-controller",
            // Folds leakguard-view/-edit into view, edit and admin, as in every cluster; type-checks admission policies'
            // CEL against the CRD schema into their status (RestartRightsTest).
            "clusterrole-aggregation-controller", "validatingadmissionpolicy-status-controller");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final String adminToken = UUID.randomUUID().toString();
    private final String url;
    private final Path caFile;
    private final Path adminKubeconfig;
    private final KubernetesClient admin;
    private final String version;

    private ControlPlane(Path binaries, String version) throws Exception {
        this.version = version;
        this.dir = Files.createTempDirectory("leakguard-control-plane");
        boolean started = false;
        try {
            int etcdPort = freePort();
            int etcdPeerPort = freePort();
            int apiPort = freePort();
            start(binaries.resolve("etcd"), "etcd",
                    "--name=test", "--data-dir=" + dir.resolve("etcd"),
                    "--listen-client-urls=http://127.0.0.1:" + etcdPort, "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
                    "--listen-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                    "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                    "--initial-cluster=test=http://127.0.0.1:" + etcdPeerPort,
                    // Test data needs no durability; fsync on a shared disk costs seconds per write burst.
                    "--unsafe-no-fsync", "--log-level=warn");

            Path serviceAccountKey = dir.resolve("service-account.key");
            writeRsaKey(serviceAccountKey);
            Files.writeString(auditPolicy(), """
                    apiVersion: audit.k8s.io/v1
                    kind: Policy
                    omitStages: [RequestReceived]
                    rules:
                    # The tests' own and the control plane's requests would only make the log longer to read.
                    - level: None
                      users: [test-admin, "system:apiserver", "system:kube-controller-manager"]
                    - level: Metadata
                    """);
            Path tokens = dir.resolve("tokens.csv");
            Files.writeString(tokens, adminToken + ",test-admin,test-admin,\"system:masters\"\n");
            start(binaries.resolve("kube-apiserver"), "kube-apiserver",
                    "--etcd-servers=http://127.0.0.1:" + etcdPort,
                    "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + apiPort,
                    // The `kubernetes` Service's endpoint may not be a loopback address; nothing here uses that Service.
                    "--endpoint-reconciler-type=none",
                    // kube-apiserver makes its own self-signed serving certificate (with its CA) in this folder.
                    "--cert-dir=" + dir.resolve("certs"),
                    "--service-cluster-ip-range=10.0.0.0/24",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    "--service-account-key-file=" + serviceAccountKey,
                    "--service-account-signing-key-file=" + serviceAccountKey,
                    "--authorization-mode=RBAC",
                    "--token-auth-file=" + tokens,
                    // Every request, with its user and the answer: the RBAC tests read what the operator really called.
                    "--audit-policy-file=" + auditPolicy(), "--audit-log-path=" + auditLog(), "--audit-log-format=json",
                    // Pods here are made by tests and controllers without a token controller; the admission
                    // plugin would refuse a pod until the namespace's `default` ServiceAccount appears.
                    "--disable-admission-plugins=ServiceAccount");
            this.url = "https://127.0.0.1:" + apiPort;
            this.caFile = dir.resolve("certs").resolve("apiserver.crt");
            waitReady(Duration.ofMinutes(2));
            this.adminKubeconfig = writeKubeconfig("admin", adminToken);
            this.admin = client(adminToken, "leakguard-tests");

            start(binaries.resolve("kube-controller-manager"), "kube-controller-manager",
                    "--kubeconfig=" + adminKubeconfig, "--leader-elect=false", "--controllers=" + CONTROLLERS,
                    "--secure-port=0", "--use-service-account-credentials=false",
                    // The disruption controller and the garbage collector resync quickly enough for tests.
                    "--concurrent-gc-syncs=5");
            started = true;
        } finally {
            if (!started) {
                close();
            }
        }
    }

    /** Starts etcd, kube-apiserver and kube-controller-manager from {@code binaries}; waits until the API server is ready. */
    public static ControlPlane start(Path binaries, String version) {
        try {
            return new ControlPlane(binaries, version);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the test control plane did not start: " + e.getMessage(), e);
        }
    }

    /** The Kubernetes release the binaries were built from, e.g. v1.37.2. */
    public String version() {
        return version;
    }

    public String url() {
        return url;
    }

    /** The CA bundle that verifies the API server's serving certificate. */
    public Path caFile() {
        return caFile;
    }

    /** A cluster-admin client (group system:masters). */
    public KubernetesClient admin() {
        return admin;
    }

    public Path adminKubeconfig() {
        return adminKubeconfig;
    }

    /** A fresh, real token for {@code namespace/serviceAccount} from the TokenRequest API, valid for an hour. */
    public String token(String namespace, String serviceAccount) {
        TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build();
        return admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount).tokenRequest(request).getStatus().getToken();
    }

    /** A client that authenticates with {@code token}, verifying the server's certificate, with {@code userAgent}. */
    public KubernetesClient client(String token, String userAgent) {
        return client(url, token, userAgent);
    }

    /** {@link #client(String, String)} through {@code server}, a proxy in front of this API server. */
    public KubernetesClient client(String server, String token, String userAgent) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(server).withCaCertFile(caFile.toString())
                .withOauthToken(token).withUserAgent(userAgent)
                .withRequestTimeout(30_000).withConnectionTimeout(10_000).build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** A kubeconfig file for {@code user} with {@code token}, for kubectl and for operator processes. */
    public Path writeKubeconfig(String user, String token) throws IOException {
        return writeKubeconfig(user, token, url);
    }

    /** {@link #writeKubeconfig(String, String)} through {@code server}, a proxy in front of this API server. */
    public Path writeKubeconfig(String user, String token, String server) throws IOException {
        Path file = dir.resolve(user + ".kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster: {server: "%s", certificate-authority: "%s"}
                users:
                - name: %s
                  user: {token: "%s"}
                contexts:
                - name: test
                  context: {cluster: test, user: %s}
                current-context: test
                """.formatted(server, caFile, user, token, user));
        return file;
    }

    /** One request as kube-apiserver's audit log recorded it (level Metadata, stage ResponseComplete). */
    public record AuditedRequest(String user, String userAgent, String verb, String apiGroup, String resource, String subresource,
                                 String namespace, String name, int code) {
    }

    /** Every request {@code user} made so far that the server answered (a watch once started, again when it ends). */
    public List<AuditedRequest> auditedRequests(String user) {
        List<AuditedRequest> out = new ArrayList<>();
        try {
            String log = Files.readString(auditLog(), StandardCharsets.UTF_8);
            // The server may be writing the last event right now: read complete lines only.
            for (String line : log.substring(0, log.lastIndexOf('\n') + 1).lines().toList()) {
                JsonNode event = JSON.readTree(line);
                // A watch is logged when its answer starts; other requests when they complete.
                String stage = event.path("stage").asText();
                boolean answered = "ResponseComplete".equals(stage) || "ResponseStarted".equals(stage);
                if (!answered || !user.equals(event.path("user").path("username").asText())) {
                    continue;
                }
                JsonNode ref = event.path("objectRef");
                out.add(new AuditedRequest(user, event.path("userAgent").asText(), event.path("verb").asText(),
                        ref.path("apiGroup").asText(""), ref.path("resource").asText(""), ref.path("subresource").asText(""),
                        ref.path("namespace").asText(""), ref.path("name").asText(""), event.path("responseStatus").path("code").asInt()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private Path auditPolicy() {
        return dir.resolve("audit-policy.yaml");
    }

    private Path auditLog() {
        return dir.resolve("audit.jsonl");
    }

    /** The folder of this control plane's files (logs, certificates, kubeconfigs). */
    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        // Stop in reverse order so kube-apiserver does not spend its shutdown retrying a dead etcd.
        for (int i = processes.size() - 1; i >= 0; i--) {
            stop(processes.get(i));
        }
        processes.clear();
        deleteRecursively(dir);
    }

    private void start(Path binary, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
        processes.add(process);
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void waitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            for (Process process : processes) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(process.info().command().orElse("a control-plane process") + " exited with "
                            + process.exitValue() + "; log tail:\n" + logTails());
                }
            }
            if (Files.exists(caFile)) {
                try {
                    HttpResponse<String> response = HttpClient.newBuilder().sslContext(trusting(caFile)).build()
                            .send(HttpRequest.newBuilder(URI.create(url + "/readyz")).header("Authorization", "Bearer " + adminToken)
                                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200) {
                        return;
                    }
                    last = response.statusCode() + " " + response.body();
                } catch (IOException e) {
                    last = e.toString();
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("kube-apiserver not ready after " + timeout + ": " + last + "\n" + logTails());
    }

    /** The last lines of each process's log, for failure messages. */
    public String logTails() {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                out.append("== ").append(log.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> out.append(l).append('\n'));
            }
        } catch (IOException e) {
            out.append("(logs unreadable: ").append(e).append(")");
        }
        return out.toString();
    }

    private static SSLContext trusting(Path pemBundle) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (var cert : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pemBundle)))) {
            store.setCertificateEntry("ca-" + i++, (X509Certificate) cert);
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /** An RSA key in PKCS#8 PEM, which kube-apiserver reads both to sign ServiceAccount tokens and to verify them. */
    private static void writeRsaKey(Path file) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(generator.generateKeyPair().getPrivate().getEncoded());
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // A leftover temp folder is harmless; failing the run over it is not.
        }
    }
}
