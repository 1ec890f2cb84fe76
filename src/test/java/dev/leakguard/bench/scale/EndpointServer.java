package dev.leakguard.bench.scale;

import dev.leakguard.fixtures.MetricsFixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The metrics endpoints of many simulated pods in one process: one listening socket per pod (its own
 * loopback address and port, as every pod has its own IP), all served by a single non-blocking
 * selector thread with HTTP/1.1 keep-alive. Go pods answer like client_golang (Prometheus text,
 * gzip when accepted); JVM pods like Micrometer (OpenMetrics when asked, never compressed). The
 * profile paths serve the captured goroutine profiles and thread dumps.
 */
final class EndpointServer implements AutoCloseable {
    static final int FIRST_ADDRESS = 10;
    static final int PORTS_PER_ADDRESS = 500;
    static final int FIRST_PORT = 20_000;
    /** Ports tried for one pod: FIRST_PORT + slot, then one PORTS_PER_ADDRESS block higher each time, below the ephemeral range. */
    private static final int BIND_ATTEMPTS = 20;

    /** Where pod {@code pod} listens. */
    record Binding(int pod, String host, int port) {
        String target() {
            return host + ":" + port;
        }

        /** Its line in a bindings file, which {@link EndpointShard} writes and the benchmark's other processes read. */
        String line() {
            return pod + " " + host + " " + port;
        }

        URI metricsUri() {
            return URI.create("http://" + target() + "/metrics");
        }

        static Binding parse(String line) {
            String[] parts = line.split(" ");
            return new Binding(Integer.parseInt(parts[0]), parts[1], Integer.parseInt(parts[2]));
        }

        /** Every binding of a bindings file ("pod host port" lines). */
        static List<Binding> readAll(Path file) throws IOException {
            return Files.readAllLines(file).stream().filter(line -> !line.isBlank()).map(Binding::parse).toList();
        }
    }

    /** Which scraper sent a request, from its User-Agent. */
    enum Client { LEAKGUARD, PROMETHEUS }

    private static final String GO_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final Selector selector;
    private final List<Binding> bindings = new ArrayList<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final RequestCounter counter = new RequestCounter();
    private final MetricsTemplate goText = MetricsTemplate.of(MetricsFixtures.bytes(MetricsFixtures.GO_PROMETHEUS_TEXT),
            "process_resident_memory_bytes", "go_goroutines", false);
    private final MetricsTemplate jvmText = MetricsTemplate.of(MetricsFixtures.bytes(MetricsFixtures.JVM_PROMETHEUS_TEXT),
            "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Old Gen\"}", "jvm_threads_live_threads", true);
    private final MetricsTemplate jvmOpenMetrics = MetricsTemplate.of(MetricsFixtures.bytes(MetricsFixtures.JVM_OPENMETRICS),
            "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Old Gen\"}", "jvm_threads_live_threads", true);
    private final byte[] goroutinesSteady = resource("/fixtures/profiles/go/redisleak-after10.debug1.txt");
    private final byte[] goroutinesLeaking = resource("/fixtures/profiles/go/redisleak-after1000.debug1.txt");
    private final byte[] threadDumpSteady = resource("/fixtures/profiles/jvm/actuator-after10.txt");
    private final byte[] threadDumpLeaking = resource("/fixtures/profiles/jvm/actuator-after300.txt");
    private final Thread loop;
    private volatile boolean closed;

    /** Binds pods {@code from} (inclusive) to {@code to} (exclusive) and starts serving. */
    EndpointServer(int from, int to) throws IOException {
        this.selector = Selector.open();
        for (int pod = from; pod < to; pod++) {
            bind(pod);
        }
        this.loop = new Thread(this::serve, "endpoint-selector");
        loop.start();
    }

    List<Binding> bindings() {
        return List.copyOf(bindings);
    }

    RequestCounter counter() {
        return counter;
    }

    private void bind(int pod) throws IOException {
        String host = "127.0.0." + (FIRST_ADDRESS + pod / PORTS_PER_ADDRESS);
        for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
            int port = FIRST_PORT + pod % PORTS_PER_ADDRESS + attempt * PORTS_PER_ADDRESS;
            ServerSocketChannel channel = ServerSocketChannel.open();
            try {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                channel.bind(new InetSocketAddress(host, port), 128);
            } catch (BindException e) {
                channel.close();
                continue;
            }
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_ACCEPT, pod);
            listeners.add(channel);
            bindings.add(new Binding(pod, host, port));
            return;
        }
        throw new IOException("no free port for pod " + pod + " on " + host);
    }

    private void serve() {
        while (!closed) {
            try {
                selector.select(500);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                try {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept(key);
                    } else if (key.isReadable()) {
                        read(key);
                    } else if (key.isWritable()) {
                        write(key);
                    }
                } catch (IOException | RuntimeException e) {
                    closeQuietly(key);
                }
            }
        }
    }

    private void accept(SelectionKey key) throws IOException {
        SocketChannel channel = ((ServerSocketChannel) key.channel()).accept();
        if (channel == null) {
            return;
        }
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.register(selector, SelectionKey.OP_READ, new Connection((Integer) key.attachment()));
    }

    private void read(SelectionKey key) throws IOException {
        Connection connection = (Connection) key.attachment();
        SocketChannel channel = (SocketChannel) key.channel();
        if (channel.read(connection.in) < 0) {
            closeQuietly(key);
            return;
        }
        int end = headEnd(connection.in);
        if (end < 0) {
            if (!connection.in.hasRemaining()) {
                closeQuietly(key);
            }
            return;
        }
        String head = new String(connection.in.array(), 0, end, StandardCharsets.ISO_8859_1);
        connection.in.clear();
        connection.out = ByteBuffer.wrap(respond(connection, head));
        write(key);
    }

    private void write(SelectionKey key) throws IOException {
        Connection connection = (Connection) key.attachment();
        ((SocketChannel) key.channel()).write(connection.out);
        if (connection.out.hasRemaining()) {
            key.interestOps(SelectionKey.OP_WRITE);
        } else if (connection.closeAfterWrite) {
            closeQuietly(key);
        } else {
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private static int headEnd(ByteBuffer in) {
        byte[] bytes = in.array();
        for (int i = 3; i < in.position(); i++) {
            if (bytes[i] == '\n' && bytes[i - 1] == '\r' && bytes[i - 2] == '\n' && bytes[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    private byte[] respond(Connection connection, String head) throws IOException {
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        String path = requestLine.length > 1 ? requestLine[1] : "/";
        String accept = "";
        String acceptEncoding = "";
        String userAgent = "";
        connection.closeAfterWrite = requestLine.length > 2 && requestLine[2].equals("HTTP/1.0");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (name) {
                case "accept" -> accept = value;
                case "accept-encoding" -> acceptEncoding = value;
                case "user-agent" -> userAgent = value;
                case "connection" -> connection.closeAfterWrite |= value.equalsIgnoreCase("close");
                default -> { }
            }
        }
        int pod = connection.pod;
        boolean go = SimulatedPods.runtime(pod) == SimulatedPods.Runtime.GO;
        boolean leaking = SimulatedPods.leaking(pod);
        String contentType = "text/plain; charset=utf-8";
        byte[] body;
        boolean gzip = false;
        int status = 200;
        String route = path.indexOf('?') < 0 ? path : path.substring(0, path.indexOf('?'));
        if (route.equals("/metrics")) {
            long now = System.currentTimeMillis();
            double memory = SimulatedPods.memoryBytes(pod, now);
            double threads = SimulatedPods.threads(pod, now);
            if (go) {
                contentType = GO_TEXT;
                body = goText.render(memory, threads);
                gzip = acceptEncoding.contains("gzip");
            } else if (accept.contains("application/openmetrics-text")) {
                contentType = OPENMETRICS;
                body = jvmOpenMetrics.render(memory, threads);
            } else {
                contentType = GO_TEXT;
                body = jvmText.render(memory, threads);
            }
        } else if (go && route.equals("/debug/pprof/goroutine")) {
            body = leaking ? goroutinesLeaking : goroutinesSteady;
        } else if (!go && route.equals("/actuator/threaddump")) {
            body = leaking ? threadDumpLeaking : threadDumpSteady;
        } else {
            status = 404;
            body = "404 page not found\n".getBytes(StandardCharsets.US_ASCII);
        }
        if (gzip) {
            body = gzip(body);
        }
        counter.count(userAgent.startsWith("Prometheus") ? Client.PROMETHEUS : Client.LEAKGUARD);
        String headers = "HTTP/1.1 " + status + (status == 200 ? " OK" : " Not Found") + "\r\n"
                + "Content-Type: " + contentType + "\r\n"
                + (gzip ? "Content-Encoding: gzip\r\n" : "")
                + "Content-Length: " + body.length + "\r\n"
                + (connection.closeAfterWrite ? "Connection: close\r\n" : "")
                + "\r\n";
        byte[] headerBytes = headers.getBytes(StandardCharsets.US_ASCII);
        byte[] response = new byte[headerBytes.length + body.length];
        System.arraycopy(headerBytes, 0, response, 0, headerBytes.length);
        System.arraycopy(body, 0, response, headerBytes.length, body.length);
        return response;
    }

    /** Fast compression keeps the load generator's share of the two cores small; the reader's cost hardly depends on the level. */
    private static byte[] gzip(byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 3);
        try (GZIPOutputStream zip = new GZIPOutputStream(out, 8192) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }) {
            zip.write(body);
        }
        return out.toByteArray();
    }

    private static byte[] resource(String name) {
        try (InputStream in = EndpointServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void closeQuietly(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // Already gone.
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            loop.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey key : selector.keys()) {
            closeQuietly(key);
        }
        selector.close();
    }

    private static final class Connection {
        final int pod;
        final ByteBuffer in = ByteBuffer.allocate(8192);
        ByteBuffer out;
        boolean closeAfterWrite;

        Connection(int pod) {
            this.pod = pod;
        }
    }

    /** Requests per client and wall-clock second, for the last hour: shows whether scrapes are spread over the interval. */
    static final class RequestCounter {
        private static final int SLOTS = 3600;
        private final AtomicLongArray second = new AtomicLongArray(SLOTS);
        private final AtomicLongArray counts = new AtomicLongArray(SLOTS * Client.values().length);

        /** Called by the selector thread only. */
        void count(Client client) {
            long now = System.currentTimeMillis() / 1000;
            int slot = (int) (now % SLOTS);
            if (second.get(slot) != now) {
                for (Client c : Client.values()) {
                    counts.set(c.ordinal() * SLOTS + slot, 0);
                }
                second.set(slot, now);
            }
            counts.incrementAndGet(client.ordinal() * SLOTS + slot);
        }

        /** Requests of {@code client} in each second from {@code fromSecond} (inclusive) to {@code toSecond} (exclusive). */
        long[] perSecond(Client client, long fromSecond, long toSecond) {
            long[] out = new long[(int) Math.max(0, toSecond - fromSecond)];
            for (long s = fromSecond; s < toSecond; s++) {
                int slot = (int) (s % SLOTS);
                out[(int) (s - fromSecond)] = second.get(slot) == s ? counts.get(client.ordinal() * SLOTS + slot) : 0;
            }
            return out;
        }
    }
}
