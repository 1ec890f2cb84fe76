package dev.leakguard.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

/**
 * A pod's metrics endpoint that misbehaves on purpose, on a raw loopback socket so that it can send
 * what no HTTP library would: endless bodies, one byte at a time, redirects elsewhere, bytes that
 * are not HTTP, gzip bombs, and exposition text that is malformed or holds unusable values.
 */
public final class HostileEndpoint implements AutoCloseable {
    private static final int MI = 1 << 20;
    private static final String STEADY = """
            # HELP process_resident_memory_bytes Resident memory size in bytes.
            # TYPE process_resident_memory_bytes gauge
            process_resident_memory_bytes 2.2e+08
            # HELP go_goroutines Number of goroutines that currently exist.
            # TYPE go_goroutines gauge
            go_goroutines 61
            """;
    private static final byte[] GZIP_BOMB = gzipOfZeros(64 * MI);

    /** What the endpoint answers. */
    public enum Behaviour {
        /** 11 MiB of valid exposition without Content-Length: over the 10 MiB cap only while streaming. */
        OVERSIZED,
        /** Headers, then one byte every 200 ms: only a total timeout ends it. */
        SLOW_DRIP,
        /** 302 to another loopback server, which must never be asked. */
        REDIRECT,
        /** Binary bytes that are no HTTP response at all. */
        GARBAGE,
        /** 64 KiB of gzip that inflates to 64 MiB. */
        GZIP_BOMB,
        /** An HTTP 500. */
        SERVER_ERROR,
        MALFORMED(body("process_resident_memory_bytes{job=\"x\" 12\n")),
        NAN(body("process_resident_memory_bytes NaN\n")),
        PLUS_INF(body("process_resident_memory_bytes +Inf\n")),
        MINUS_INF(body("process_resident_memory_bytes -Inf\n")),
        NEGATIVE(body("process_resident_memory_bytes -5e8\n")),
        /** Ten times the 512Mi limit, which no running container can have: a lie, flat. */
        BEYOND_LIMIT(body("process_resident_memory_bytes 5.36870912e+09\n")),
        DUPLICATE_SERIES(body("process_resident_memory_bytes 2.2e+08\nprocess_resident_memory_bytes 2.3e+08\n")),
        HUGE_LABEL_VALUE(body("process_resident_memory_bytes{id=\"" + "v".repeat(20_000) + "\"} 2.2e+08\n")),
        /** Valid steady metrics and malformed text, alternately. */
        FLAPPING;

        private final String text;

        Behaviour() {
            this(null);
        }

        Behaviour(String text) {
            this.text = text;
        }

        private static String body(String line) {
            return "# TYPE process_resident_memory_bytes gauge\n" + line;
        }
    }

    private final Behaviour behaviour;
    private final int redirectPort;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-endpoint");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();

    /** {@code redirectPort}: where {@link Behaviour#REDIRECT} sends the client. */
    public HostileEndpoint(Behaviour behaviour, int redirectPort) {
        this.behaviour = behaviour;
        this.redirectPort = redirectPort;
        try {
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        threads.execute(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    public int requests() {
        return requests.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            readRequestHead(socket.getInputStream());
            int number = requests.incrementAndGet();
            answer(socket.getOutputStream(), number);
        } catch (IOException e) {
            // The client hung up, as it should on a body over the cap or past the deadline.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(socket);
        }
    }

    private void answer(OutputStream out, int number) throws IOException, InterruptedException {
        switch (behaviour) {
            case OVERSIZED -> {
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nConnection: close\r\n\r\n");
                byte[] block = padding(64 * 1024);
                for (int sent = 0; sent < 11 * MI; sent += block.length) {
                    out.write(block);
                }
            }
            case SLOW_DRIP -> {
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n");
                for (int i = 0; i < 600; i++) {
                    out.write('#');
                    out.flush();
                    Thread.sleep(200);
                }
            }
            case REDIRECT -> write(out, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + redirectPort
                    + "/metrics\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            case GARBAGE -> {
                byte[] noise = new byte[4096];
                new Random(number).nextBytes(noise);
                out.write(noise);
            }
            case GZIP_BOMB -> {
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: "
                        + GZIP_BOMB.length + "\r\nConnection: close\r\n\r\n");
                out.write(GZIP_BOMB);
            }
            case SERVER_ERROR -> write(out, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\nConnection: close\r\n\r\noops\n");
            case FLAPPING -> ok(out, number % 2 == 0 ? STEADY : Behaviour.MALFORMED.text);
            default -> ok(out, behaviour.text);
        }
        out.flush();
    }

    private static void ok(OutputStream out, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " + bytes.length
                + "\r\nConnection: close\r\n\r\n");
        out.write(bytes);
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static void readRequestHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b;
        while (matched < end.length && (b = in.read()) >= 0) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    private static byte[] padding(int size) {
        StringBuilder text = new StringBuilder(size);
        while (text.length() + 40 < size) {
            text.append("# padding padding padding padding pad\n");
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] gzipOfZeros(int size) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            byte[] zeros = new byte[MI];
            for (int written = 0; written < size; written += zeros.length) {
                gzip.write(zeros);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
        threads.shutdownNow();
    }
}
