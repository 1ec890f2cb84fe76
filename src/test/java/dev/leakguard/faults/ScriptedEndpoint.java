package dev.leakguard.faults;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.leakguard.time.ScaledClock;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/** A pod's HTTP endpoints answering whatever a test scripts per path, each request on its own thread. */
final class ScriptedEndpoint implements AutoCloseable {
    private static final double MI = 1 << 20;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-endpoint");
        t.setDaemon(true);
        return t;
    });

    ScriptedEndpoint(Map<String, Supplier<String>> routes) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        routes.forEach((path, body) -> server.createContext(path, exchange -> respond(exchange, body.get())));
        server.setExecutor(threads);
        server.start();
    }

    /** Resident memory rising 6 MiB per simulated minute from 180 MiB: a 512Mi limit is reached in under an hour. */
    static Supplier<String> leakingMemory(ScaledClock clock, long startedMillis) {
        return () -> "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes "
                + (180 * MI + 6 * MI * (clock.millis() - startedMillis) / 60_000.0) + "\n";
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
