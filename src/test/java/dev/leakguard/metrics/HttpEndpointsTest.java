package dev.leakguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HttpEndpointsTest {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void probesAnswerWhileEveryMetricsThreadIsBlockedInARender() throws Exception {
        CountDownLatch renderBlocked = new CountDownLatch(1);
        CountDownLatch renders = new CountDownLatch(4);
        Runnable blockedRender = () -> {
            renders.countDown();
            try {
                renderBlocked.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        AtomicBoolean ready = new AtomicBoolean(false);
        try (HttpEndpoints endpoints = new HttpEndpoints("127.0.0.1", 0, 0, () -> {
            blockedRender.run();
            return "leakguard_up 1\n";
        }, () -> true, ready::get)) {
            // More blocked renders than the metrics server has threads: the old shared pool had two, both taken.
            List<CompletableFuture<HttpResponse<String>>> scrapes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                scrapes.add(http.sendAsync(get(endpoints.port(), "/metrics"), HttpResponse.BodyHandlers.ofString()));
            }
            assertThat(bothMetricsThreadsRendering(renders)).as("both metrics threads blocked in a render").isTrue();

            // The kubelet's probe timeout in deploy/base is 2 s.
            HttpResponse<String> live = http.send(get(endpoints.probePort(), "/healthz"), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> notReady = http.send(get(endpoints.probePort(), "/readyz"), HttpResponse.BodyHandlers.ofString());
            ready.set(true);
            HttpResponse<String> nowReady = http.send(get(endpoints.probePort(), "/readyz"), HttpResponse.BodyHandlers.ofString());

            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("ok\n");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(nowReady.statusCode()).isEqualTo(200);
            assertThat(scrapes).noneMatch(CompletableFuture::isDone);

            renderBlocked.countDown();
            for (CompletableFuture<HttpResponse<String>> scrape : scrapes) {
                assertThat(scrape.get(10, TimeUnit.SECONDS).body()).isEqualTo("leakguard_up 1\n");
            }
        }
    }

    @Test
    void theMetricsPortDoesNotServeProbesNorTheProbePortMetrics() throws Exception {
        try (HttpEndpoints endpoints = new HttpEndpoints("127.0.0.1", 0, 0, () -> "x 1\n", () -> true, () -> true)) {
            assertThat(endpoints.probePort()).isNotEqualTo(endpoints.port());
            assertThat(http.send(get(endpoints.port(), "/healthz"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            assertThat(http.send(get(endpoints.probePort(), "/metrics"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        }
    }

    /** Both metrics threads are inside a render (the other two requests wait in the server's queue). */
    private static boolean bothMetricsThreadsRendering(CountDownLatch renders) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (renders.getCount() > 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return renders.getCount() <= 2;
    }

    private static HttpRequest get(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(2)).build();
    }
}
