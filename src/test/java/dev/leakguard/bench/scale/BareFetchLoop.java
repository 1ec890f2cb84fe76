package dev.leakguard.bench.scale;

import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.scrape.ScrapeAccess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child process for the scale benchmark's floor: the operator's {@link HttpFetcher} with the operator's
 * limits and slots, fetching every pod's {@code /metrics} once per interval from the fetcher's event loop
 * (where the operator's scrape scheduler ticks), and doing nothing with the bodies: no parsing, no
 * detection, no Kubernetes. Its process CPU is what the I/O alone costs; the operator's CPU above it is
 * what parsing, detection and the rest add.
 *
 * <p>Arguments: the bindings file ("pod host port" lines), the interval in seconds and whether to ask for gzip
 * (as the policies' {@code spec.metrics.enableCompression}). Prints READY
 * once every loop is scheduled, answers {@code COUNT} with {@code COUNT fetched failed loopCpuNanos loopAllocatedBytes}
 * (the last two: the event loop thread's so far), and exits when its standard input closes.
 */
public final class BareFetchLoop {
    private BareFetchLoop() {
    }

    public static void main(String[] args) throws IOException, InterruptedException, ExecutionException {
        List<URI> targets = EndpointServer.Binding.readAll(Path.of(args[0])).stream().map(EndpointServer.Binding::metricsUri).toList();
        long periodMillis = TimeUnit.SECONDS.toMillis(Long.parseLong(args[1]));
        LeakguardOperator.Settings settings = LeakguardOperator.Settings.defaults();
        FetchLimits limits = settings.metricsLimits();
        ScrapeAccess access = ScrapeAccess.PLAIN_HTTP.withCompression(Boolean.parseBoolean(args[2]));
        AtomicLong fetched = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        try (HttpFetcher fetcher = new HttpFetcher(settings.maxConcurrentScrapes())) {
            ScheduledExecutorService timer = fetcher.timer();
            long loopThread = timer.submit(() -> Thread.currentThread().getId()).get();
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            for (int i = 0; i < targets.size(); i++) {
                URI target = targets.get(i);
                // Spread evenly over the interval, as the operator's loops are (by a hash of the pod UID).
                long offset = periodMillis * i / targets.size();
                timer.scheduleAtFixedRate(() -> fetcher.fetch(target, limits, access).thenAccept(result -> {
                    fetched.incrementAndGet();
                    if (!(result instanceof FetchResult.Success)) {
                        failed.incrementAndGet();
                    }
                }), offset, periodMillis, TimeUnit.MILLISECONDS);
            }
            System.out.println("READY " + targets.size());
            System.out.flush();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = commands.readLine(); line != null; line = commands.readLine()) {
                if (line.trim().equals("COUNT")) {
                    System.out.println("COUNT " + fetched.get() + " " + failed.get() + " " + threads.getThreadCpuTime(loopThread)
                            + " " + threads.getThreadAllocatedBytes(loopThread));
                    System.out.flush();
                }
            }
        }
    }
}
