package dev.leakguard.bench.scale;

import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.scrape.parse.MetricsParseException;
import dev.leakguard.scrape.parse.PrometheusTextParser;
import dev.leakguard.scrape.parse.SeriesSelector;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code spec.metrics.enableCompression: false} saves the operator, measured as a pair at the same moments: two
 * of the operator's {@link HttpFetcher}s in this JVM, one asking for gzip and one for uncompressed bodies, fetch every
 * simulated pod of the scale benchmark's endpoints ({@link EndpointShard}: client_golang text, gzip when asked, and
 * Micrometer OpenMetrics, never compressed) once per 15 s, and extract the two series a policy reads, on their event
 * loops. The CPU of each event loop thread over the window, per fetch, is the pair's figures: whatever else runs on
 * the machine meanwhile weighs on both alike, which runs one after the other on a shared machine cannot promise. The
 * second fetcher scrapes each pod half an interval after the first, so that neither finds the endpoint's thread
 * awake from the other's request (waking it is part of what a request costs the sender).
 *
 * <pre>
 * mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.bench.scale.CompressionCostBench \
 *     -Dbench.args="--pods 2000 --warmup-seconds 60 --seconds 120" -Dbench.jvmArgs="-Xmx512m"
 * </pre>
 */
public final class CompressionCostBench {
    private static final long INTERVAL_MILLIS = ScaleBenchmark.INTERVAL.toMillis();
    private static final List<SeriesSelector> GO_SERIES =
            List.of(SeriesSelector.parse("process_resident_memory_bytes"), SeriesSelector.parse("go_goroutines"));
    private static final List<SeriesSelector> JVM_SERIES = List.of(
            SeriesSelector.parse("jvm_memory_used_bytes{area=\"heap\",id=\"G1 Old Gen\"}"), SeriesSelector.parse("jvm_threads_live_threads"));

    private CompressionCostBench() {
    }

    /** One fetcher of the pair and what it did. */
    private record Side(String name, HttpFetcher fetcher, ScrapeAccess access, AtomicLong fetched, AtomicLong failed, long[] loopThread) {
        Side(String name, int slots, boolean compression) {
            this(name, new HttpFetcher(slots), ScrapeAccess.PLAIN_HTTP.withCompression(compression), new AtomicLong(), new AtomicLong(),
                    new long[1]);
        }
    }

    public static void main(String[] args) throws Exception {
        int pods = 2000;
        int warmupSeconds = 60;
        int seconds = 120;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pods" -> pods = Integer.parseInt(args[++i]);
                case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path workDir = Files.createDirectories(Path.of("target", "compression-bench"));
        Path bindings = workDir.resolve("bindings.txt");
        LeakguardOperator.Settings settings = LeakguardOperator.Settings.defaults();
        FetchLimits limits = settings.metricsLimits();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (ChildJvm endpoints = ChildJvm.start("endpoints", List.of("-Xmx256m", "-XX:+UseSerialGC"), EndpointShard.class,
                List.of("0", String.valueOf(pods), bindings.toString()), workDir)) {
            endpoints.await("READY", Duration.ofMinutes(2));
            List<EndpointServer.Binding> targets = EndpointServer.Binding.readAll(bindings);
            List<Side> sides = List.of(new Side("gzip", settings.maxConcurrentScrapes(), true),
                    new Side("identity", settings.maxConcurrentScrapes(), false));
            for (int s = 0; s < sides.size(); s++) {
                Side side = sides.get(s);
                side.fetcher().timer().submit(() -> side.loopThread()[0] = Thread.currentThread().getId()).get();
                for (int i = 0; i < targets.size(); i++) {
                    EndpointServer.Binding target = targets.get(i);
                    URI uri = target.metricsUri();
                    List<SeriesSelector> series = SimulatedPods.runtime(target.pod()) == SimulatedPods.Runtime.GO
                            ? GO_SERIES : JVM_SERIES;
                    long offset = (INTERVAL_MILLIS * i / targets.size() + s * INTERVAL_MILLIS / sides.size()) % INTERVAL_MILLIS;
                    side.fetcher().timer().scheduleAtFixedRate(() -> scrape(side, uri, limits, series), offset, INTERVAL_MILLIS,
                            TimeUnit.MILLISECONDS);
                }
            }
            System.out.printf("%d pods, both fetchers scraping; warming up %d s%n", pods, warmupSeconds);
            Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
            long[] cpuBefore = sides.stream().mapToLong(side -> threads.getThreadCpuTime(side.loopThread()[0])).toArray();
            long[] fetchedBefore = sides.stream().mapToLong(side -> side.fetched().get()).toArray();
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            for (int i = 0; i < sides.size(); i++) {
                Side side = sides.get(i);
                double cpuSeconds = (threads.getThreadCpuTime(side.loopThread()[0]) - cpuBefore[i]) / 1e9;
                long fetched = side.fetched().get() - fetchedBefore[i];
                System.out.printf("%-8s event loop %.2f CPU s for %d fetches: %.3f CPU s per 1,000 (fetch, inflate, extract), %d failed%n",
                        side.name(), cpuSeconds, fetched, 1000 * cpuSeconds / fetched, side.failed().get());
            }
            System.out.printf("load average at end: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
            sides.forEach(side -> side.fetcher().close());
        }
        System.exit(0);
    }

    private static CompletableFuture<Void> scrape(Side side, URI uri, FetchLimits limits, List<SeriesSelector> series) {
        return side.fetcher().fetch(uri, limits, side.access()).thenAccept(result -> {
            side.fetched().incrementAndGet();
            try {
                if (!(result instanceof FetchResult.Success body)
                        || !PrometheusTextParser.extract(body.body(), body.length(), series).found(0)) {
                    side.failed().incrementAndGet();
                }
            } catch (MetricsParseException e) {
                side.failed().incrementAndGet();
            }
        });
    }
}
