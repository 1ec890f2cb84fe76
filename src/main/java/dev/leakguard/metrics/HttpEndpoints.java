package dev.leakguard.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code /metrics} on one port and {@code /healthz}, {@code /readyz} on another, each on its own JDK
 * HTTP server with its own threads. Rendering {@code /metrics} takes about a second at 10k pods; a
 * shared pool busy with a few such renders would let a probe miss its timeout and make the kubelet
 * restart a healthy operator. The probe server has nothing slow to serve, so one thread is enough.
 */
public final class HttpEndpoints implements AutoCloseable {
    private final HttpServer metricsServer;
    private final HttpServer probeServer;
    private final ExecutorService metricsThreads;
    private final ExecutorService probeThread;

    /**
     * @param live  {@code /healthz}: the process is alive and not wedged
     * @param ready {@code /readyz}: the operator is started and sees the API server
     */
    public HttpEndpoints(String host, int metricsPort, int probePort, Supplier<String> metrics, BooleanSupplier live,
                         BooleanSupplier ready) throws IOException {
        metricsThreads = Executors.newFixedThreadPool(2, daemon("leakguard-metrics-http"));
        probeThread = Executors.newSingleThreadExecutor(daemon("leakguard-probe-http"));
        metricsServer = HttpServer.create(new InetSocketAddress(host, metricsPort), 0);
        metricsServer.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        metricsServer.setExecutor(metricsThreads);
        probeServer = HttpServer.create(new InetSocketAddress(host, probePort), 0);
        probeServer.createContext("/healthz", exchange -> probe(exchange, live));
        probeServer.createContext("/readyz", exchange -> probe(exchange, ready));
        probeServer.setExecutor(probeThread);
        metricsServer.start();
        probeServer.start();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The port of {@code /metrics}. */
    public int port() {
        return metricsServer.getAddress().getPort();
    }

    /** The port of {@code /healthz} and {@code /readyz}. */
    public int probePort() {
        return probeServer.getAddress().getPort();
    }

    private static void probe(HttpExchange exchange, BooleanSupplier check) throws IOException {
        boolean ok = check.getAsBoolean();
        respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "not ok\n");
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        metricsServer.stop(0);
        probeServer.stop(0);
        metricsThreads.shutdownNow();
        probeThread.shutdownNow();
    }
}
