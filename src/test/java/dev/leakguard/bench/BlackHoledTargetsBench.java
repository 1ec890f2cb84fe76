package dev.leakguard.bench;

import com.sun.net.httpserver.HttpServer;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.testing.BlackHoledListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Does a black-holed share of the fleet slow down everyone else's scrapes? The operator's fetcher (64
 * slots, 2 s connect timeout) scrapes {@code --targets} loopback targets once per {@code --interval-seconds},
 * spread over the interval as the scrape scheduler spreads them, with {@code --black-holed} percent of them
 * listeners whose SYNs are dropped; it prints, for the healthy targets after the first interval (when
 * each black-holed peer has timed out once), scrapes per second and the latency from the scheduled
 * start to the result (slot wait included), p50 / p99 / max. Run it with 0 and with 10 to compare.
 *
 * <pre>mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.bench.BlackHoledTargetsBench \
 *     -Dbench.args="--targets 2000 --black-holed 10 --interval-seconds 15 --seconds 60"</pre>
 *
 * The healthy targets are 100 JDK HTTP servers on 127.0.0.1 with 7 KB bodies, several targets per server
 * (a server per target would cost a thread each); the connection pool is capped as in the operator.
 */
public final class BlackHoledTargetsBench {
    private BlackHoledTargetsBench() {
    }

    public static void main(String[] args) throws Exception {
        int targets = intArg(args, "--targets", 2000);
        int blackHoledPercent = intArg(args, "--black-holed", 10);
        int intervalSeconds = intArg(args, "--interval-seconds", 15);
        int seconds = intArg(args, "--seconds", 60);
        int blackHoled = targets * blackHoledPercent / 100;

        byte[] body = ("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1.2e8\n"
                + "# padding\n".repeat(700)).getBytes(StandardCharsets.US_ASCII);
        List<HttpServer> servers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
            server.createContext("/", exchange -> {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.setExecutor(Executors.newFixedThreadPool(2));
            server.start();
            servers.add(server);
        }
        List<BlackHoledListener> holes = new ArrayList<>();
        List<URI> uris = new ArrayList<>();
        List<Boolean> healthy = new ArrayList<>();
        for (int i = 0; i < targets; i++) {
            boolean hole = i % 100 < blackHoledPercent;
            if (hole) {
                BlackHoledListener listener = new BlackHoledListener();
                holes.add(listener);
                uris.add(URI.create("http://127.0.0.1:" + listener.port() + "/metrics"));
            } else {
                uris.add(URI.create("http://127.0.0.1:" + servers.get(i % servers.size()).getAddress().getPort() + "/pod-" + i));
            }
            healthy.add(!hole);
        }

        ConcurrentLinkedQueue<Long> latenciesMicros = new ConcurrentLinkedQueue<>();
        AtomicLong healthyFailures = new AtomicLong();
        AtomicLong holeResults = new AtomicLong();
        long measureFromNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(intervalSeconds + 2L);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        FetchLimits limits = FetchLimits.metricsDefaults();
        long periodMillis = TimeUnit.SECONDS.toMillis(intervalSeconds);
        try (HttpFetcher fetcher = new HttpFetcher(64)) {
            for (int i = 0; i < targets; i++) {
                URI uri = uris.get(i);
                boolean isHealthy = healthy.get(i);
                timer.scheduleAtFixedRate(() -> {
                    long scheduled = System.nanoTime();
                    fetcher.fetch(uri, limits).thenAccept(result -> {
                        if (!isHealthy) {
                            holeResults.incrementAndGet();
                        } else if (scheduled >= measureFromNanos) {
                            if (result instanceof FetchResult.Success) {
                                latenciesMicros.add((System.nanoTime() - scheduled) / 1000);
                            } else {
                                healthyFailures.incrementAndGet();
                            }
                        }
                    });
                }, periodMillis * i / targets, periodMillis, TimeUnit.MILLISECONDS);
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(intervalSeconds + 2L + seconds));
            timer.shutdownNow();
        }
        long[] sorted = latenciesMicros.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("targets %d, black-holed %d (%d %%), interval %d s, measured %d s after the first interval%n",
                targets, blackHoled, blackHoledPercent, intervalSeconds, seconds);
        System.out.printf("healthy scrapes: %d ok (%.1f/s, expected %.1f/s), %d failed%n", sorted.length, sorted.length / (double) seconds,
                (targets - blackHoled) / (double) intervalSeconds, healthyFailures.get());
        if (sorted.length > 0) {
            System.out.printf("healthy latency from scheduled start: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    sorted[sorted.length / 2] / 1000.0, sorted[(int) (sorted.length * 0.99)] / 1000.0, sorted[sorted.length - 1] / 1000.0);
        }
        System.out.printf("black-holed scrapes finished (timed out): %d%n", holeResults.get());
        for (BlackHoledListener hole : holes) {
            hole.close();
        }
        servers.forEach(server -> server.stop(0));
        System.exit(0);
    }

    private static int intArg(String[] args, String name, int fallback) {
        int at = Arrays.asList(args).indexOf(name);
        return at < 0 || at + 1 >= args.length ? fallback : Integer.parseInt(args[at + 1]);
    }
}
