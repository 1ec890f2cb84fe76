package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.metrics.HttpEndpoints;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.CuttableProxy;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's probes through an API-server outage as long as a control-plane upgrade's: the
 * operator talks to the real API server through a proxy that the test cuts for 35 s. Liveness must
 * stay up all along (a restart would not bring the API server back, and would restart every replica
 * at once); readiness goes down while the informers cannot watch and comes back after.
 */
class ProbesTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final Duration OUTAGE = Duration.ofSeconds(35);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void anApiServerOutageOfThirtyFiveSecondsKeepsLivenessUpAndReadinessDownUntilItEnds() throws Exception {
        k8s.installLeakguard();
        String ns = k8s.namespace("outage");
        try (CuttableProxy proxy = new CuttableProxy(URI.create(k8s.plane().url()));
             KubernetesClient client = k8s.plane().client(proxy.url(), k8s.operatorToken(), "leakguard/test");
             LeakguardOperator operator = new LeakguardOperator(client, ScaledClock.system(), new MicrometerOperatorMetrics("test"),
                     LeakguardOperator.Settings.builder().namespaces(Set.of(ns)).build());
             HttpEndpoints probes = new HttpEndpoints("127.0.0.1", 0, 0, () -> "", operator::live, operator::ready)) {
            operator.start();
            Poll.until(Duration.ofSeconds(60), () -> status(probes, "/readyz"), code -> code == 200, "readiness before the outage");

            proxy.cut();
            long outageEnds = System.nanoTime() + OUTAGE.toNanos();
            List<Integer> liveness = new ArrayList<>();
            List<Integer> readiness = new ArrayList<>();
            while (System.nanoTime() < outageEnds) {
                liveness.add(status(probes, "/healthz"));
                readiness.add(status(probes, "/readyz"));
                Thread.sleep(500);
            }
            proxy.restore();
            System.out.printf("API server cut for %d s: /healthz answered %s; /readyz answered %s%n", OUTAGE.toSeconds(),
                    counts(liveness), counts(readiness));

            assertThat(liveness).as("liveness during the outage").hasSizeGreaterThan(50).containsOnly(200);
            assertThat(readiness).as("readiness during the outage").contains(503);
            Poll.until(Duration.ofSeconds(60), () -> status(probes, "/readyz"), code -> code == 200, "readiness after the outage");
            assertThat(status(probes, "/healthz")).isEqualTo(200);
        }
    }

    private static String counts(List<Integer> codes) {
        return codes.stream().distinct().sorted().map(code -> codes.stream().filter(code::equals).count() + "×" + code).toList().toString();
    }

    /** The probe's status code; 0 when it did not answer within the kubelet's timeout (2 s in deploy/base). */
    private int status(HttpEndpoints endpoints, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoints.probePort() + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
