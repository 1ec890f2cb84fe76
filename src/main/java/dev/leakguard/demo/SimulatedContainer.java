package dev.leakguard.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.leakguard.time.ScaledClock;
import java.io.IOException;
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
        GO_REDIS_CLIENT_LEAK(180 * MI, 6 * MI, 12 * MI, 2.0, 40, 25, "go"),
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

    private final Behaviour behaviour;
    private final ScaledClock clock;
    private volatile long startedMillis;
    private final long seed;
    private final HttpServer server;

    public SimulatedContainer(Behaviour behaviour, ScaledClock clock, long seed) throws IOException {
        this.behaviour = behaviour;
        this.clock = clock;
        this.seed = seed;
        this.startedMillis = clock.millis();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
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

    /** pprof's goroutine profile in its debug=1 form: one block per distinct stack, with its count. */
    private String goroutineProfile() {
        long leaked = behaviour == Behaviour.GO_REDIS_CLIENT_LEAK ? leakedThreads() : 0;
        long other = Math.max(1, threads() - 2 * leaked);
        StringBuilder out = new StringBuilder();
        out.append("goroutine profile: total ").append(other + 2 * leaked).append('\n');
        if (leaked > 0) {
            out.append(leaked).append(" @ 0x43a1b6 0x44a0b2 0x6f2f85 0x46ce41\n")
                    .append("#\t0x6f2f84\tgopkg.in/redis.v5/internal/pool.(*ConnPool).reaper+0xd4\t/usr/share/gocode/src/gopkg.in/redis.v5/internal/pool/pool.go:391\n\n")
                    .append(leaked).append(" @ 0x43a1b6 0x4069dc 0x406598 0x6f5e0d 0x46ce41\n")
                    .append("#\t0x6f5e0c\tgopkg.in/redis.v5/internal/pool.(*ConnPool).getConnWait+0x8c\t/usr/share/gocode/src/gopkg.in/redis.v5/internal/pool/pool.go:214\n\n");
        }
        out.append(other).append(" @ 0x43a1b6 0x432d37 0x4668a9 0x4a5c32 0x4a6f9a 0x4a6f88 0x58b6e9 0x59a6c5 0x6b2f2d 0x46ce41\n")
                .append("#\t0x4668a8\tinternal/poll.runtime_pollWait+0x88\t/usr/lib/go-1.19/src/runtime/netpoll.go:305\n")
                .append("#\t0x6b2f2c\tnet/http.(*conn).serve+0x66c\t/usr/lib/go-1.19/src/net/http/server.go:1991\n\n");
        return out.toString();
    }

    /** A jstack-style thread dump: the leaked pools' workers park waiting for tasks that never come. */
    private String threadDump() {
        long leaked = behaviour == Behaviour.JVM_THREAD_POOL_LEAK ? leakedThreads() : 0;
        StringBuilder out = new StringBuilder("Full thread dump OpenJDK 64-Bit Server VM (17.0.15+6-Debian-1deb12u1 mixed mode, sharing):\n\n");
        for (long i = 0; i < leaked; i++) {
            long pool = i / 4 + 1;
            long worker = i % 4 + 1;
            out.append('"').append("pool-").append(pool).append("-thread-").append(worker).append("\" #").append(30 + i)
                    .append(" prio=5 os_prio=0 cpu=0.10ms elapsed=").append(fmt(minutes() * 60)).append("s tid=0x00007f").append(Long.toHexString(0x1000 + i))
                    .append(" nid=0x").append(Long.toHexString(0x200 + i)).append(" waiting on condition  [0x00007f0000000000]\n")
                    .append("   java.lang.Thread.State: WAITING (parking)\n")
                    .append("\tat jdk.internal.misc.Unsafe.park(java.base@17.0.15/Native Method)\n")
                    .append("\t- parking to wait for  <0x00000000c0000000> (a java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject)\n")
                    .append("\tat java.util.concurrent.locks.LockSupport.park(java.base@17.0.15/LockSupport.java:341)\n")
                    .append("\tat java.util.concurrent.LinkedBlockingQueue.take(java.base@17.0.15/LinkedBlockingQueue.java:435)\n")
                    .append("\tat java.util.concurrent.ThreadPoolExecutor.getTask(java.base@17.0.15/ThreadPoolExecutor.java:1062)\n")
                    .append("\tat java.util.concurrent.ThreadPoolExecutor.runWorker(java.base@17.0.15/ThreadPoolExecutor.java:1122)\n")
                    .append("\tat java.util.concurrent.ThreadPoolExecutor$Worker.run(java.base@17.0.15/ThreadPoolExecutor.java:635)\n")
                    .append("\tat java.lang.Thread.run(java.base@17.0.15/Thread.java:840)\n\n");
        }
        for (int i = 1; i <= behaviour.baseThreads; i++) {
            out.append("\"http-nio-8080-exec-").append(i).append("\" #").append(10 + i).append(" daemon prio=5 os_prio=0 cpu=1.20ms elapsed=")
                    .append(fmt(minutes() * 60)).append("s tid=0x00007e").append(Integer.toHexString(0x100 + i)).append(" nid=0x")
                    .append(Integer.toHexString(0x100 + i)).append(" waiting on condition  [0x00007e0000000000]\n")
                    .append("   java.lang.Thread.State: WAITING (parking)\n")
                    .append("\tat jdk.internal.misc.Unsafe.park(java.base@17.0.15/Native Method)\n")
                    .append("\tat java.util.concurrent.locks.LockSupport.park(java.base@17.0.15/LockSupport.java:341)\n")
                    .append("\tat java.util.concurrent.LinkedBlockingQueue.take(java.base@17.0.15/LinkedBlockingQueue.java:435)\n")
                    .append("\tat org.apache.tomcat.util.threads.TaskQueue.take(TaskQueue.java:146)\n")
                    .append("\tat java.util.concurrent.ThreadPoolExecutor.getTask(java.base@17.0.15/ThreadPoolExecutor.java:1062)\n")
                    .append("\tat java.lang.Thread.run(java.base@17.0.15/Thread.java:840)\n\n");
        }
        // jstack ends with this line; the parser takes a dump without it for a truncated one.
        out.append("JNI global refs: 17, weak refs: 0\n");
        return out.toString();
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
