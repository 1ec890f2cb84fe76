package dev.leakguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.Main;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPods;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code leakguard run --master http://127.0.0.1:PORT} as its own process, at real time, against an
 * API server holding a LeakPolicy and two pods (podIP 127.0.0.1, named container ports): the pod
 * whose memory grows is annotated and announced, the flat one is left alone.
 */
class RunCommandProcessTest {
    private static final String NS = "shop";
    private static final double MIB = 1024 * 1024;

    @Test
    void runAgainstAPlainHttpApiServerAnnotatesTheGrowingPodOnly() throws Exception {
        long start = System.currentTimeMillis();
        Path log = Files.createTempFile("leakguard-run", ".log");
        Process process = null;
        try (DemoApiServer api = new DemoApiServer();
             LeakingEndpoint growing = new LeakingEndpoint(start, 100 * MIB, 2 * MIB, 2);
             LeakingEndpoint flat = new LeakingEndpoint(start, 100 * MIB, 0, 0)) {
            KubernetesClient client = api.client();
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
            client.pods().inNamespace(NS).resource(pod("growing-0", growing.port(), start)).create();
            client.pods().inNamespace(NS).resource(pod("flat-0", flat.port(), start)).create();
            client.resources(LeakPolicy.class).inNamespace(NS).resource(Serialization.unmarshal("""
                    apiVersion: leakguard.dev/v1alpha1
                    kind: LeakPolicy
                    metadata: {name: api, namespace: shop}
                    spec:
                      selector: {matchLabels: {app: api}}
                      metrics: {port: metrics, interval: 1s, memory: app_memory_bytes, threads: go_goroutines}
                      detection: {window: 20s, warmup: 0s, horizon: 15s, memoryLimit: 200Mi}
                    """, LeakPolicy.class)).create();

            process = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "run", "--master", api.url(), "--http-port", "0", "--probe-port", "0")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();

            Pod annotated = Poll.until(Duration.ofSeconds(60), () -> client.pods().inNamespace(NS).withName("growing-0").get(),
                    p -> "leaking".equals(TestPods.annotation(p, PodAnnotations.VERDICT)), "growing-0 annotated as leaking by the run process");
            assertThat(TestPods.annotation(annotated, PodAnnotations.MEMORY_GROWTH)).startsWith("+");
            List<Event> events = Poll.until(Duration.ofSeconds(10), () -> TestEvents.about(client, NS, "growing-0"),
                    e -> e.stream().anyMatch(x -> "OOMPredicted".equals(x.getReason())), "an OOMPredicted event on growing-0");
            assertThat(events).allSatisfy(e -> assertThat(e.getSource().getComponent()).isEqualTo("leakguard"));
            assertThat(TestEvents.about(client, NS, "flat-0")).isEmpty();
            assertThat(TestPods.annotation(client.pods().inNamespace(NS).withName("flat-0").get(), PodAnnotations.VERDICT))
                    .isIn(null, "healthy", "insufficient_data");
            assertThat(process.isAlive()).as("the operator keeps running").isTrue();
        } finally {
            if (process != null) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
            System.out.println("leakguard run output:\n" + Files.readString(log).lines().limit(40).reduce("", (a, b) -> a + b + "\n"));
            Files.deleteIfExists(log);
        }
    }

    /** An unreachable or malformed --master: one line naming the URL and the cause, exit 1, long before fabric8's ~20 s of retries. */
    @ParameterizedTest
    @ValueSource(strings = {"closed-port", "not-a-url"})
    void anUnusableMasterIsOneLineAndExit1(String kind) throws Exception {
        String master = kind.equals("not-a-url") ? "not-a-url" : "http://127.0.0.1:" + closedPort();
        long started = System.nanoTime();
        Process process = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--master", master, "--http-port", "0").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(1);
        assertThat(output.strip().lines()).as(output).hasSize(1);
        assertThat(output).contains(master).contains(kind.equals("not-a-url") ? "is not an http(s) URL" : "Connection refused")
                .doesNotContain("SSL").doesNotContain("Exception");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String javaBinary() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }

    private static Pod pod(String name, int port, long startedMillis) {
        return TestPods.running(NS, name, Map.of("app", "api"), port, "256Mi", Instant.ofEpochMilli(startedMillis)).build();
    }
}
