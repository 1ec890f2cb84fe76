package dev.leakguard.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.leakguard.time.ScaledClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Executors;

/**
 * One simulated container: a real HTTP server on loopback whose metrics and goroutine/thread
 * profiles follow a memory model on the shared (possibly compressed) clock. A new instance is a
 * fresh process: memory and threads start again from the baseline, as after a restart.
 */
public final class SimulatedContainer implements AutoCloseable {
    private static final double MI = 1024 * 1024;
    /** Metaspace, code cache, thread stacks: the part of a JVM's resident memory outside the heap. */
    private static final double JVM_NON_HEAP = 90 * MI;

    /** How a simulated service behaves over time. */
    public enum Behaviour {
        /** The incident: a Go service creating a Redis client (pool + reaper goroutine) per request. */
        GO_REDIS_CLIENT_LEAK(180 * MI, 6 * MI, 12 * MI, 2.0, 53, 25, "go"),
        /** A healthy Go service: GC sawtooth, no trend. */
        GO_STEADY(210 * MI, 0, 30 * MI, 3.0, 60, 0, "go"),
        /** A JVM service leaking a fixed thread pool per batch job. */
        JVM_THREAD_POOL_LEAK(240 * MI, 5 * MI, 35 * MI, 1.5, 32, 12, "jvm");

        final double baseBytes;
        final double growthPerMinute;
        final double sawtoothBytes;
        final double sawtoothMinutes;
        final int baseThreads;
        final double threadsPerMinute;
        final String runtime;

        Behaviour(double baseBytes, double growthPerMinute, double sawtoothBytes, double sawtoothMinutes, int baseThreads,
                  double threadsPerMinute, String runtime) {
            this.baseBytes = baseBytes;
            this.growthPerMinute = growthPerMinute;
            this.sawtoothBytes = sawtoothBytes;
            this.sawtoothMinutes = sawtoothMinutes;
            this.baseThreads = baseThreads;
            this.threadsPerMinute = threadsPerMinute;
            this.runtime = runtime;
        }
    }

    private static final String GOROUTINE_TEMPLATE = resource("goroutines-debug1.txt");
    /** The captured process ran 53 goroutines besides its reapers (queue workers, HTTP, pprof). */
    private static final long GOROUTINES_BESIDES_REAPERS = 53;
    private static final String JSTACK_TEMPLATE = resource("threaddump-jstack.txt");
    private static final String POOL_THREAD_TEMPLATE = resource("threaddump-pool-thread.txt");

    private final Behaviour behaviour;
    private final ScaledClock clock;
    private volatile long startedMillis;
    private final long seed;
    private final HttpServer server;

    public SimulatedContainer(Behaviour behaviour, ScaledClock clock, long seed) throws IOException {
        this(behaviour, clock, seed, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** The same container listening on {@code address}: a pod's own IP and its declared port, where tests give pods addresses. */
    public SimulatedContainer(Behaviour behaviour, ScaledClock clock, long seed, InetSocketAddress address) throws IOException {
        this.behaviour = behaviour;
        this.clock = clock;
        this.seed = seed;
        this.startedMillis = clock.millis();
        this.server = HttpServer.create(address, 0);
        server.createContext("/metrics", exchange -> respond(exchange, "text/plain; version=0.0.4", metricsText()));
        server.createContext("/debug/pprof/goroutine", exchange -> respond(exchange, "text/plain; charset=utf-8", goroutineProfile()));
        server.createContext("/actuator/threaddump", exchange -> respond(exchange, "text/plain; charset=utf-8", threadDump()));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "simulated-" + behaviour.name().toLowerCase(Locale.ROOT));
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public long startedMillis() {
        return startedMillis;
    }

    /** The process was killed and started again: memory and threads fall back to the baseline. */
    public void restart() {
        startedMillis = clock.millis();
    }

    private double minutes() {
        return (clock.millis() - startedMillis) / 60_000.0;
    }

    /** Resident memory now (what the OOM killer compares to the limit): baseline + leak + GC sawtooth + a little noise. */
    public double memoryBytes() {
        double t = minutes();
        double phase = (t / behaviour.sawtoothMinutes) % 1.0;
        double noise = (hash(seed, (long) (t * 4)) - 0.5) * 2 * MI;
        return behaviour.baseBytes + behaviour.growthPerMinute * t + behaviour.sawtoothBytes * phase + noise;
    }

    /** Goroutines or threads now; the leaked ones are {@link #leakedThreads()}. */
    public long threads() {
        long jitter = Math.round((hash(seed + 1, (long) (minutes() * 4)) - 0.5) * 6);
        return behaviour.baseThreads + leakedThreads() + jitter;
    }

    public long leakedThreads() {
        return Math.round(behaviour.threadsPerMinute * minutes());
    }

    private String metricsText() {
        double memory = memoryBytes();
        long threads = threads();
        StringBuilder out = new StringBuilder(4096);
        if (behaviour.runtime.equals("go")) {
            out.append("# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\n")
                    .append("go_goroutines ").append(threads).append('\n')
                    .append("# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.\n# TYPE go_memstats_heap_inuse_bytes gauge\n")
                    .append("go_memstats_heap_inuse_bytes ").append(fmt(memory * 0.8)).append('\n')
                    .append("# HELP go_threads Number of OS threads created.\n# TYPE go_threads gauge\ngo_threads 12\n");
        } else {
            out.append("# HELP jvm_threads_live_threads The current number of live threads including both daemon and non-daemon threads\n")
                    .append("# TYPE jvm_threads_live_threads gauge\njvm_threads_live_threads ").append(threads).append('\n')
                    .append("# HELP jvm_memory_used_bytes The amount of used memory\n# TYPE jvm_memory_used_bytes gauge\n")
                    .append("jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"} ").append(fmt((memory - JVM_NON_HEAP) * 0.3)).append('\n')
                    .append("jvm_memory_used_bytes{area=\"heap\",id=\"G1 Old Gen\"} ").append(fmt((memory - JVM_NON_HEAP) * 0.7)).append('\n')
                    .append("jvm_memory_used_bytes{area=\"nonheap\",id=\"Metaspace\"} ").append(fmt(64 * MI)).append('\n');
        }
        out.append("# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n")
                .append("process_resident_memory_bytes ").append(fmt(memory)).append('\n')
                .append("# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n")
                .append("# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ").append(startedMillis / 1000).append('\n');
        return out.toString();
    }

    /**
     * pprof's goroutine profile (debug=1), from a real capture of the Redis-client leak (see
     * src/test/resources/fixtures/profiles/README.md): one reaper goroutine per leaked client.
     */
    private String goroutineProfile() {
        long reapers = behaviour == Behaviour.GO_REDIS_CLIENT_LEAK ? Math.max(1, leakedThreads()) : 1;
        return GOROUTINE_TEMPLATE.replace("{{REAPERS}}", Long.toString(reapers))
                .replace("{{TOTAL}}", Long.toString(GOROUTINES_BESIDES_REAPERS + reapers));
    }

    /** A jstack dump, from a real capture of the thread-pool leak: one parked worker per leaked pool. */
    private String threadDump() {
        long leaked = behaviour == Behaviour.JVM_THREAD_POOL_LEAK ? leakedThreads() : 0;
        StringBuilder pools = new StringBuilder();
        for (long i = 1; i <= leaked; i++) {
            pools.append(POOL_THREAD_TEMPLATE.replace("{{POOL}}", Long.toString(i)).replace("{{ID}}", Long.toString(100 + i)))
                    .append("\n\n");
        }
        return JSTACK_TEMPLATE.replace("{{POOL_THREADS}}\n\n", pools.toString());
    }

    private static String resource(String name) {
        try (InputStream in = SimulatedContainer.class.getResourceAsStream("/demo/" + name)) {
            if (in == null) {
                throw new IllegalStateException("demo resource " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String fmt(double value) {
        return String.format(Locale.ROOT, "%.6g", value);
    }

    /** A deterministic value in [0, 1) for (seed, step): noise that replays identically. */
    private static double hash(long seed, long step) {
        long x = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L;
        x ^= x >>> 31;
        x *= 0x94D049BB133111EBL;
        x ^= x >>> 29;
        return (x >>> 11) * 0x1.0p-53;
    }

    private static void respond(HttpExchange exchange, String contentType, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
