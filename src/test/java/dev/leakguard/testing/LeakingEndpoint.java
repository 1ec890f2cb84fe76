package dev.leakguard.testing;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A real loopback {@code /metrics} endpoint whose memory grows linearly with wall-clock time, as
 * Prometheus would scrape a leaking service: {@code app_memory_bytes} in two series (a growing heap
 * and a constant non-heap, so that summing matters) and a growing {@code go_goroutines}. The same
 * functions of time write {@link #history} in OpenMetrics, so that preloaded history and live
 * scrapes form one continuous series.
 */
public final class LeakingEndpoint implements AutoCloseable {
    public static final String MEMORY = "app_memory_bytes";
    public static final String THREADS = "go_goroutines";
    public static final double NON_HEAP_BYTES = 8_000_000;

    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final long startedMillis;
    private final double heapAtStart;
    private final double bytesPerSecond;
    private final double threadsPerSecond;

    /** From {@code startedMillis} (the process start), heap is {@code heapAtStart + bytesPerSecond·t} and goroutines {@code 10 + threadsPerSecond·t}. */
    public LeakingEndpoint(long startedMillis, double heapAtStart, double bytesPerSecond, double threadsPerSecond) {
        this(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), startedMillis, heapAtStart, bytesPerSecond, threadsPerSecond);
    }

    /** The same endpoint listening on {@code address}, e.g. a pod's own loopback IP and its declared port. */
    public LeakingEndpoint(InetSocketAddress address, long startedMillis, double heapAtStart, double bytesPerSecond, double threadsPerSecond) {
        this(plain(address), null, startedMillis, heapAtStart, bytesPerSecond, threadsPerSecond);
    }

    /**
     * The same endpoint over HTTPS on loopback with the certificate of {@code tls}; with a {@code requiredToken}, a
     * request without {@code Authorization: Bearer <requiredToken>} is answered 401, as kube-rbac-proxy would.
     */
    public static LeakingEndpoint overTls(SSLContext tls, String requiredToken, long startedMillis, double heapAtStart,
                                          double bytesPerSecond) {
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
            return new LeakingEndpoint(server, requiredToken, startedMillis, heapAtStart, bytesPerSecond, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private LeakingEndpoint(HttpServer server, String requiredToken, long startedMillis, double heapAtStart, double bytesPerSecond,
                            double threadsPerSecond) {
        this.server = server;
        this.startedMillis = startedMillis;
        this.heapAtStart = heapAtStart;
        this.bytesPerSecond = bytesPerSecond;
        this.threadsPerSecond = threadsPerSecond;
        server.createContext("/metrics", exchange -> {
            requests.incrementAndGet();
            if (requiredToken != null && !("Bearer " + requiredToken).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.sendResponseHeaders(401, -1);
                exchange.close();
                return;
            }
            byte[] body = exposition(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    private static HttpServer plain(InetSocketAddress address) {
        try {
            return HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Requests received, answered or refused. */
    public int requests() {
        return requests.get();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code 127.0.0.1:port}, as a Prometheus target address. */
    public String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Total memory (heap plus non-heap) at a time. */
    public double memoryAt(long millis) {
        return heapAt(millis) + NON_HEAP_BYTES;
    }

    public double threadsAt(long millis) {
        return Math.floor(10 + threadsPerSecond * (millis - startedMillis) / 1000.0);
    }

    private double heapAt(long millis) {
        return Math.floor(heapAtStart + bytesPerSecond * (millis - startedMillis) / 1000.0);
    }

    private String exposition(long millis) {
        return "# TYPE " + MEMORY + " gauge\n"
                + MEMORY + "{area=\"heap\"} " + format(heapAt(millis)) + "\n"
                + MEMORY + "{area=\"nonheap\"} " + format(NON_HEAP_BYTES) + "\n"
                + "# TYPE " + THREADS + " gauge\n"
                + THREADS + " " + format(threadsAt(millis)) + "\n";
    }

    /**
     * The same series from {@code fromMillis} (inclusive) to {@code toMillis} (exclusive), one sample
     * per {@code stepMillis}, carrying {@code seriesLabels} (what Prometheus adds: job, instance and
     * target labels), for {@code promtool tsdb create-blocks-from openmetrics}.
     */
    public String history(long fromMillis, long toMillis, long stepMillis, String seriesLabels) {
        StringBuilder out = new StringBuilder();
        out.append("# TYPE ").append(MEMORY).append(" gauge\n");
        for (long t = fromMillis; t < toMillis; t += stepMillis) {
            line(out, MEMORY, "area=\"heap\"," + seriesLabels, heapAt(t), t);
            line(out, MEMORY, "area=\"nonheap\"," + seriesLabels, NON_HEAP_BYTES, t);
        }
        out.append("# TYPE ").append(THREADS).append(" gauge\n");
        for (long t = fromMillis; t < toMillis; t += stepMillis) {
            line(out, THREADS, seriesLabels, threadsAt(t), t);
        }
        return out.append("# EOF\n").toString();
    }

    private static void line(StringBuilder out, String name, String labels, double value, long millis) {
        out.append(name).append('{').append(labels).append("} ").append(format(value)).append(' ')
                .append(String.format(Locale.ROOT, "%d.%03d", millis / 1000, millis % 1000)).append('\n');
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.0f", value);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
