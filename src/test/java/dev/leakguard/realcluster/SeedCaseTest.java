package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.ControlPlane;
import dev.leakguard.testing.ExternalTool;
import dev.leakguard.testing.GoProgram;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPods;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The incident leakguard exists for, end to end on the real control plane: each pod of the leaking Deployment
 * is the real Go program that builds a gopkg.in/redis.v5 client per request ({@code src/test/go/redisleak}),
 * talking to a real redis-server, driven by real HTTP load; its fixed twin runs beside it. The test plays only
 * the kubelet (pod addresses and status) — kube-controller-manager keeps the PodDisruptionBudget's status and
 * replaces the evicted pod.
 *
 * <p>Expected, as a platform team would see it: OOMPredicted names the growing goroutine group
 * {@code (*ConnPool).reaper} before the process's memory reaches the limit; the evidence ConfigMap holds its
 * profile; the PodDisruptionBudget first allows no disruption, so the real {@code pods/eviction} answers 429 and
 * leakguard reports RestartBlocked and backs off; once the budget allows one, the retry evicts the pod — still
 * below the limit. The fixed twin is never touched.
 */
class SeedCaseTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final String LIMIT = "128Mi";
    private static final double LIMIT_BYTES = 128 * 1024 * 1024;

    private final List<AutoCloseable> running = new ArrayList<>();
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    /** A pod's resident memory when the kubelet stand-in stopped it (after its eviction). */
    private final Map<String, Double> residentWhenStopped = new ConcurrentHashMap<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    @Test
    void theRedisPoolLeakIsNamedEvidencedAndEvictedBeforeItsLimitWhileTheFixedTwinIsLeftAlone() throws Exception {
        Path redisleak = GoProgram.build("redisleak");
        ExternalTool redisServer = ExternalTool.require("redis-server", "apt-get install -y redis-server");
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("seed");
        int redisPort = Workloads.freePort();
        Process redis = start(List.of(redisServer.executable().toString(), "--bind", "127.0.0.1", "--port", String.valueOf(redisPort),
                "--save", "", "--appendonly", "no"), "redis");
        running.add(() -> redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS));

        Workloads workloads = new Workloads(admin, ns);
        Kubelet kubelet = new Kubelet(admin);
        int leakyPort = Workloads.freePort();
        workloads.deployment("checkout-api", 2, Map.of("app", "checkout-api", "lang", "go"), leakyPort, LIMIT);
        // Traffic is uneven, as behind a real load balancer: one replica takes most of it and leaks fastest.
        Map<String, Integer> rps = new ConcurrentHashMap<>();
        running.add(kubelet.serve(ns, Map.of("app", "checkout-api"), (pod, ip) -> {
            int rate = rps.isEmpty() ? 60 : 3;
            rps.put(pod.getMetadata().getName(), rate);
            return service(redisleak, pod, ip, leakyPort, redisPort, true, rate);
        }));
        int fixedPort = Workloads.freePort();
        workloads.deployment("checkout-fixed", 1, Map.of("app", "checkout-fixed", "lang", "go"), fixedPort, LIMIT);
        running.add(kubelet.serve(ns, Map.of("app", "checkout-fixed"),
                (pod, ip) -> service(redisleak, pod, ip, fixedPort, redisPort, false, 60)));
        // A budget that allows no disruption at first: kube-controller-manager computes disruptionsAllowed = 0.
        workloads.minAvailable("checkout-api", 2);

        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "go-services", """
                selector: {matchLabels: {lang: go}}
                metrics: {port: metrics, interval: 1s, memory: process_resident_memory_bytes, threads: go_goroutines}
                profile: {type: go, topGroups: 3}
                detection: {window: 60s, warmup: 30s, horizon: 45s}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """)).create();
        try (KubernetesClient operatorClient = k8s.operatorClient();
             LeakguardOperator operator = new LeakguardOperator(operatorClient, ScaledClock.system(),
                     new MicrometerOperatorMetrics("test"), LeakguardOperator.Settings.builder().statusRefresh(Duration.ofSeconds(1)).build())) {
            operator.start();

            Event predicted = Poll.until(Duration.ofSeconds(200), () -> events(admin, ns, "OOMPredicted"), e -> !e.isEmpty(),
                    "OOMPredicted for the busiest checkout-api replica").get(0);
            String leaking = predicted.getInvolvedObject().getName();
            double rssAtPrediction = residentBytes(processes.get(leaking));
            assertThat(rps.get(leaking)).as("the replica taking most traffic is predicted first").isEqualTo(60);
            assertThat(predicted.getMessage()).contains("Memory limit " + LIMIT + " (container spec) predicted in").containsPattern(
                    "\\+\\d+ goroutines gopkg\\.in/redis\\.v5/internal/pool\\.\\(\\*ConnPool\\)\\.reaper");
            assertThat(rssAtPrediction).as("resident memory when OOMPredicted was announced").isLessThan(LIMIT_BYTES);

            ConfigMap evidence = Poll.until(Duration.ofSeconds(20), () -> admin.configMaps().inNamespace(ns).withLabel("leakguard.dev/evidence", "true")
                    .list().getItems().stream().filter(c -> leaking.equals(c.getData().get("pod"))).findFirst().orElse(null),
                    c -> c != null, "evidence for " + leaking);
            assertThat(evidence.getBinaryData()).containsKeys("profile.txt.gz", "metrics.txt.gz");
            assertThat(evidence.getData().get("summary.txt")).contains("(*ConnPool).reaper");

            Event blocked = Poll.until(Duration.ofSeconds(30), () -> events(admin, ns, "RestartBlocked"), e -> !e.isEmpty(),
                    "RestartBlocked while the budget allows no disruption").get(0);
            assertThat(blocked.getInvolvedObject().getName()).isEqualTo(leaking);
            assertThat(blocked.getMessage()).contains("checkout-api");
            assertThat(admin.pods().inNamespace(ns).withName(leaking).get()).as("still running: the server refused").isNotNull();

            // The budget now allows one disruption; leakguard's backoff retry must find that out by itself.
            admin.policy().v1().podDisruptionBudget().inNamespace(ns).withName("checkout-api")
                    .edit(pdb -> {
                        pdb.getSpec().setMinAvailable(null);
                        pdb.getSpec().setMaxUnavailable(new IntOrString(1));
                        return pdb;
                    });
            Event evicted = Poll.until(Duration.ofSeconds(90), () -> events(admin, ns, "Evicted"), e -> !e.isEmpty(),
                    "the retried eviction").get(0);
            assertThat(evicted.getInvolvedObject().getName()).isEqualTo(leaking);
            double rssAtEviction = Poll.until(Duration.ofSeconds(30), () -> residentWhenStopped.get(leaking), r -> r != null,
                    leaking + " stopped after its eviction");
            assertThat(rssAtEviction).as("resident memory when evicted").isLessThan(LIMIT_BYTES);
            System.out.printf("seed case: OOMPredicted at %.1f MiB, evicted at %.1f MiB of %s%n",
                    rssAtPrediction / 1048576, rssAtEviction / 1048576, LIMIT);

            List<ControlPlane.AuditedRequest> refused = k8s.plane().auditedRequests("system:serviceaccount:leakguard:leakguard").stream()
                    .filter(r -> r.namespace().equals(ns) && r.subresource().equals("eviction") && r.code() == 429).toList();
            assertThat(refused).as("eviction attempts the budget refused: backed off, not one per scrape").hasSizeBetween(1, 4);

            Pod fixed = admin.pods().inNamespace(ns).withLabel("app", "checkout-fixed").list().getItems().get(0);
            assertThat(TestPods.annotation(fixed, PodAnnotations.VERDICT)).as("the fixed twin").isIn(null, "healthy", "insufficient_data");
            assertThat(TestEvents.about(admin, ns, fixed.getMetadata().getName())).isEmpty();
        }
    }

    /** One pod's container: the redisleak server on the pod's address, and the load it receives. */
    private AutoCloseable service(Path binary, Pod pod, InetAddress ip, int port, int redisPort, boolean leak, int rps) throws IOException {
        String address = ip.getHostAddress() + ":" + port;
        Process server = start(List.of(binary.toString(), "-listen", address, "-redis", "127.0.0.1:" + redisPort, "-leak=" + leak), "server");
        processes.put(pod.getMetadata().getName(), server);
        awaitServing(address);
        Process load = start(List.of(binary.toString(), "-load", "http://" + address + "/visit", "-rps", String.valueOf(rps)), "load");
        return () -> {
            residentWhenStopped.put(pod.getMetadata().getName(), residentBytes(server));
            load.destroyForcibly();
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        };
    }

    private Process start(List<String> command, String what) throws IOException {
        Path log = Files.createTempFile("seed-" + what, ".log");
        log.toFile().deleteOnExit();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return process;
    }

    private static void awaitServing(String address) {
        HttpClient http = HttpClient.newHttpClient();
        Poll.until(Duration.ofSeconds(20), () -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://" + address + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (IOException e) {
                return 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }, code -> code == 200, "redisleak serving on " + address);
    }

    /** VmRSS of a pod's process: what its memory limit is enforced against. */
    private static double residentBytes(Process process) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Double.parseDouble(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for process " + process.pid());
    }

    private static List<Event> events(KubernetesClient admin, String namespace, String reason) {
        return admin.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> "leakguard".equals(e.getSource().getComponent()) && reason.equals(e.getReason())).toList();
    }
}
