package dev.leakguard.scrape;

import dev.leakguard.Main;
import dev.leakguard.policy.Durations;
import dev.leakguard.scrape.FetchResult.ErrorResponse;
import dev.leakguard.scrape.FetchResult.Failure;
import dev.leakguard.scrape.FetchResult.Success;
import dev.leakguard.text.BoundedText;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Fetches metrics and profiles from pods over HTTP/1.1 (plain or TLS, with a bearer token when the
 * {@link ScrapeAccess} has one) with hard limits, without blocking the caller, on one Netty event
 * loop: connections are kept alive per pod and reused by its next scrape (as Prometheus does), a
 * response is read, inflated and handed over on the loop's thread as its chunks arrive, and the
 * result completes there too — so what a caller chains on the returned future without an executor
 * runs on that thread and must not block.
 *
 * <p>At most {@code maxConcurrentFetches} exchanges run at once (further fetches wait in order; a
 * peer whose last connect timed out waits for a few slots of its own instead, so that black-holed
 * pods cannot starve the others), redirects are never followed, the total timeout covers the whole
 * body (a server that sends headers and then one byte per second is cut off), a body is never
 * buffered beyond its cap — gzip bodies are limited by their decompressed size — and a peer that
 * does not answer with an HTTP/1 status line is cut off at its first bytes. Every failed exchange
 * closes its connection.
 *
 * <p>The returned future never completes exceptionally unless the caller cancels it (which
 * abandons the exchange); every problem becomes a {@link Failure} with a bounded, printable message.
 */
public final class HttpFetcher implements AutoCloseable {

    /** Names leakguard in the pods' access logs and in a kube-rbac-proxy's, as Prometheus names itself. */
    static final String USER_AGENT = "leakguard/" + Main.version();
    /** Prefers OpenMetrics, accepts the 0.0.4 text format, and anything else (profiles, dumps). */
    public static final String ACCEPT =
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1";
    /** The shipped ClusterRole and binding that let the operator's ServiceAccount past kube-rbac-proxy's default check. */
    static final String METRICS_READER_EXAMPLE = "deploy/app-namespace/clusterrole-metrics-reader.yaml";
    private static final byte[] HTTP_1 = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);
    private static final int REMEMBERED_PEERS = 4096;
    private static final AtomicInteger FETCHER_IDS = new AtomicInteger();
    /** Distinct TLS settings (CA bundles, server names) kept with an SSL context of their own. */
    private static final int MAX_TLS_CONTEXTS = 32;
    private static final int UNANSWERING_SLOTS = 4;
    /** Idle connections kept per peer: the scrape loop's, and one of a profile or evidence fetch that ran beside it. */
    private static final int IDLE_CONNECTIONS_PER_PEER = 2;
    /** As Prometheus: a connection idle this long (a pod no longer scraped, or scraped rarely) is closed. */
    private static final long IDLE_TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(5);
    private static final int MAX_INITIAL_LINE_BYTES = 4096;
    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final int MAX_CHUNK_BYTES = 64 * 1024;
    /** Only responses are decoded: requests are GETs written as bytes (see {@link Connection#request}). */
    /**
     * Fixed-rate tasks on {@link #timer()} whose phases fall within this of each other run together (see
     * {@link SlottedTimer}): at 10,000 pods every 15 s, about 67 scrapes a slot, near the 64 fetch slots of the operator.
     */
    public static final Duration DEFAULT_TICK_SLOT = Duration.ofMillis(100);
    private static final HttpDecoderConfig DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES).setMaxHeaderSize(MAX_HEADER_BYTES).setMaxChunkSize(MAX_CHUNK_BYTES);

    private final EventLoopGroup loops;
    /** The one thread every exchange runs on; the idle connections and each connection's state are only touched there. */
    private final EventLoop loop;
    private final SlottedTimer timer;
    private final Bootstrap bootstrap;
    private final Map<ScrapeAccess.Tls, SSLContext> sslContexts = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ScrapeAccess.Tls, SSLContext> eldest) {
            return size() > MAX_TLS_CONTEXTS;
        }
    };
    /** Kept-alive connections waiting for their peer's next fetch, most recently used last. Event loop only. */
    private final Map<Peer, Deque<Connection>> idle = new HashMap<>();
    private final Set<Fetch> unfinished = ConcurrentHashMap.newKeySet();
    /** The slots every fetch shares. */
    private final Lane shared;
    /**
     * Peers whose last connect timed out (SYNs dropped: a NetworkPolicy, a firewall, a listener that
     * never accepts) wait for their own few slots, so that a black-holed share of the fleet never
     * holds the shared slots for a connect timeout on every interval.
     */
    private final Lane unanswering = new Lane(UNANSWERING_SLOTS);
    /** Peers whose last connect timed out, the most recently added last; the oldest are forgotten past {@value #REMEMBERED_PEERS}. */
    private final Set<Peer> connectTimedOut = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Peer, Boolean> eldest) {
            return size() > REMEMBERED_PEERS;
        }
    });
    private volatile boolean closed;

    public HttpFetcher(int maxConcurrentFetches) {
        this(maxConcurrentFetches, DEFAULT_TICK_SLOT);
    }

    /** With the fixed-rate tasks of {@link #timer()} grouped into slots of {@code tickSlot}. */
    public HttpFetcher(int maxConcurrentFetches, Duration tickSlot) {
        if (maxConcurrentFetches < 1) {
            throw new IllegalArgumentException("maxConcurrentFetches must be at least 1, was " + maxConcurrentFetches);
        }
        this.shared = new Lane(maxConcurrentFetches);
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.loops = new MultiThreadIoEventLoopGroup(1, daemonThreads("leakguard-http-" + FETCHER_IDS.incrementAndGet()), io);
        this.loop = loops.next();
        this.timer = new SlottedTimer(loop, tickSlot.toNanos());
        // Netty's default allocator pools buffers; a response's chunks are read into them and released once consumed.
        this.bootstrap = new Bootstrap().group(loop)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true);
        loop.scheduleWithFixedDelay(this::closeLongIdleConnections, 1, 1, TimeUnit.MINUTES);
    }

    /**
     * Starts a GET of {@code uri} (or queues it while {@code maxConcurrentFetches} are running).
     * The total timeout counts from this call, so time spent waiting for a free slot is included.
     */
    public CompletableFuture<FetchResult> fetch(URI uri, FetchLimits limits) {
        return fetch(uri, limits, ScrapeAccess.PLAIN_HTTP);
    }

    /**
     * Like {@link #fetch(URI, FetchLimits)} over the TLS and with the bearer token of {@code access}; an
     * unusable access fails at once with its reason ({@link FailureKind#CREDENTIALS}) and sends nothing.
     */
    public CompletableFuture<FetchResult> fetch(URI uri, FetchLimits limits, ScrapeAccess access) {
        return start(new Fetch(uri, limits, false, access));
    }

    /**
     * Like {@link #fetch}, but a 4xx or 5xx body is read too and answered as a
     * {@link FetchResult.ErrorResponse}: for HTTP APIs that explain their errors in the body.
     */
    public CompletableFuture<FetchResult> fetchKeepingErrorBodies(URI uri, FetchLimits limits) {
        return start(new Fetch(uri, limits, true, ScrapeAccess.PLAIN_HTTP));
    }

    /**
     * The event loop as a timer: a task scheduled here runs on the thread every exchange runs on, so a
     * fetch it starts is sent at once, without a hand-over from another thread and the wake-up that
     * costs (one per scrape); a scrape scheduler ticks here for that. Fixed-rate tasks whose period is at least ten
     * tick slots and a whole number of them run in groups of one slot ({@link SlottedTimer}): each at most one slot
     * after its asked phase, so a task must read the time itself rather than assume its phase. Such tasks must not
     * block, and stop when the fetcher closes; cancel them to stop them earlier. Shutting this down is refused.
     */
    public ScheduledExecutorService timer() {
        return timer;
    }

    private CompletableFuture<FetchResult> start(Fetch fetch) {
        if (fetch.access.problem() != null) {
            fetch.fail(FailureKind.CREDENTIALS, fetch.access.problem());
            return fetch.result;
        }
        boolean startNow;
        synchronized (this) {
            if (closed) {
                fetch.fail(FailureKind.CONNECTION, "fetcher is closed");
                return fetch.result;
            }
            unfinished.add(fetch);
            fetch.lane = timedOutLastTime(fetch.peer) ? unanswering : shared;
            startNow = fetch.lane.running < fetch.lane.slots;
            if (startNow) {
                fetch.lane.running++;
                fetch.holdsSlot = true;
            } else {
                fetch.lane.waiting.addLast(fetch);
            }
        }
        fetch.result.whenComplete((result, error) -> fetch.cleanUp());
        try {
            fetch.deadline = loop.schedule(fetch::timeOut, fetch.limits.totalTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            fetch.fail(FailureKind.CONNECTION, "fetcher is closed");
        }
        if (startNow) {
            fetch.start();
        }
        return fetch.result;
    }

    /** Fails every unfinished fetch, closes every connection and stops the event loop. */
    @Override
    public void close() {
        List<Fetch> abandoned;
        synchronized (this) {
            closed = true;
            abandoned = new ArrayList<>(unfinished);
        }
        abandoned.forEach(fetch -> fetch.fail(FailureKind.CONNECTION, "fetcher is closed"));
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    private void releaseSlot(Fetch finished) {
        Fetch next = null;
        synchronized (this) {
            unfinished.remove(finished);
            Lane lane = finished.lane;
            if (lane == null) {
                return; // failed before it was given a lane
            }
            if (!finished.holdsSlot) {
                lane.waiting.remove(finished);
                return;
            }
            finished.holdsSlot = false;
            while (next == null && !lane.waiting.isEmpty()) {
                Fetch candidate = lane.waiting.pollFirst();
                if (!candidate.result.isDone()) {
                    next = candidate;
                }
            }
            if (next == null) {
                lane.running--;
            } else {
                next.holdsSlot = true;
            }
        }
        if (next != null) {
            next.start();
        }
    }

    /** A lane of fetch slots: at most {@code slots} exchanges at once, the rest waiting in order. Guarded by the fetcher. */
    private static final class Lane {
        final int slots;
        final Deque<Fetch> waiting = new ArrayDeque<>();
        int running;

        Lane(int slots) {
            this.slots = slots;
        }
    }

    private boolean timedOutLastTime(Peer peer) {
        synchronized (connectTimedOut) {
            return connectTimedOut.contains(peer);
        }
    }

    /** A connect that timed out puts the peer in the unanswering lane; a connect that succeeds takes it out again. */
    private void connectOutcome(Peer peer, boolean timedOut) {
        synchronized (connectTimedOut) {
            if (timedOut) {
                connectTimedOut.remove(peer); // re-added as the most recent
                connectTimedOut.add(peer);
            } else {
                connectTimedOut.remove(peer);
            }
        }
    }

    private SSLContext sslContext(ScrapeAccess.Tls tls) throws GeneralSecurityException {
        synchronized (sslContexts) {
            SSLContext context = sslContexts.get(tls);
            if (context == null) {
                context = ScrapeAccess.sslContext(tls);
                sslContexts.put(tls, context);
            }
            return context;
        }
    }

    // ---- kept-alive connections (event loop only) ---------------------------------------------------

    private Connection takeIdle(Peer peer) {
        Deque<Connection> waiting = idle.get(peer);
        while (waiting != null && !waiting.isEmpty()) {
            Connection connection = waiting.pollLast();
            if (waiting.isEmpty()) {
                idle.remove(peer);
            }
            if (connection.channel.isActive()) {
                return connection;
            }
        }
        return null;
    }

    private void keepIdle(Connection connection) {
        Deque<Connection> waiting = idle.computeIfAbsent(connection.peer, peer -> new ArrayDeque<>(IDLE_CONNECTIONS_PER_PEER));
        if (closed || waiting.size() >= IDLE_CONNECTIONS_PER_PEER) {
            connection.channel.close();
            return;
        }
        connection.idleSince = System.nanoTime();
        waiting.addLast(connection);
    }

    private void forgetIdle(Connection connection) {
        Deque<Connection> waiting = idle.get(connection.peer);
        if (waiting != null && waiting.remove(connection) && waiting.isEmpty()) {
            idle.remove(connection.peer);
        }
    }

    private void closeLongIdleConnections() {
        long now = System.nanoTime();
        List<Connection> expired = new ArrayList<>();
        for (Deque<Connection> waiting : idle.values()) {
            for (Connection connection : waiting) {
                if (now - connection.idleSince > IDLE_TIMEOUT_NANOS) {
                    expired.add(connection);
                }
            }
        }
        for (Connection connection : expired) {
            forgetIdle(connection);
            connection.channel.close();
        }
    }

    /** Where a fetch goes: connections are kept and reused per host, port and TLS setting. */
    private record Peer(String host, int port, ScrapeAccess.Tls tls) {
        static Peer of(URI uri, ScrapeAccess access) {
            String host = uri.getHost() == null ? "" : uri.getHost();
            if (host.startsWith("[")) {
                host = host.substring(1, host.length() - 1);
            }
            int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            return new Peer(host, port, access.tls());
        }
    }

    /** One fetch from call to result; its result completes exactly once, by whichever path ends first. */
    private final class Fetch {
        final URI uri;
        final Peer peer;
        final FetchLimits limits;
        final boolean keepErrorBodies;
        final ScrapeAccess access;
        final long startNanos = System.nanoTime();
        final CompletableFuture<FetchResult> result = new CompletableFuture<>();
        boolean holdsSlot;
        Lane lane;
        volatile ScheduledFuture<?> deadline;
        volatile boolean started;
        /** The connection carrying this fetch's exchange; event loop only. */
        Connection connection;
        /** Whether the exchange runs on a connection that served an earlier one (which the peer may have closed meanwhile). */
        boolean reused;

        Fetch(URI uri, FetchLimits limits, boolean keepErrorBodies, ScrapeAccess access) {
            this.uri = uri;
            this.peer = Peer.of(uri, access);
            this.limits = limits;
            this.keepErrorBodies = keepErrorBodies;
            this.access = access;
        }

        void start() {
            started = true;
            if (loop.inEventLoop()) {
                startOnLoop();
            } else {
                try {
                    loop.execute(this::startOnLoop);
                } catch (RejectedExecutionException e) {
                    fail(FailureKind.CONNECTION, "fetcher is closed");
                }
            }
        }

        private void startOnLoop() {
            if (result.isDone()) {
                return;
            }
            Connection kept = takeIdle(peer);
            if (kept != null) {
                kept.send(this, true);
            } else {
                connect();
            }
        }

        private void connect() {
            SSLContext ssl;
            try {
                ssl = peer.tls() == null ? null : sslContext(peer.tls());
            } catch (GeneralSecurityException e) {
                fail(FailureKind.TLS, describe("cannot set up TLS", e));
                return;
            }
            Connection connection = new Connection(peer);
            Bootstrap connecting = bootstrap.clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, limits.connectTimeout().toMillis()))
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            if (ssl != null) {
                                SslHandler tls = new SslHandler(ScrapeAccess.clientEngine(ssl, peer.tls(), peer.host(), peer.port()));
                                // A plain-HTTP port often just waits for the rest of what it takes for a request line.
                                tls.setHandshakeTimeoutMillis(Math.max(1, limits.connectTimeout().toMillis()));
                                channel.pipeline().addLast(tls);
                            }
                            channel.pipeline().addLast(connection.statusLineCheck,
                                    new HttpResponseDecoder(DECODER), connection);
                        }
                    });
            connecting.connect(peer.host(), peer.port()).addListener(connected -> {
                if (connected.isSuccess()) {
                    connectOutcome(peer, false);
                    connection.send(this, false);
                } else {
                    Throwable cause = connected.cause();
                    boolean timedOut = cause instanceof io.netty.channel.ConnectTimeoutException;
                    connectOutcome(peer, timedOut);
                    result.complete(timedOut
                            ? failure(FailureKind.TIMEOUT, "connect timed out after " + Durations.format(limits.connectTimeout()))
                            : failureFor(cause));
                }
            });
        }

        /** A kept-alive connection the peer closed before answering: the exchange is tried once more on a new one. */
        void retryOnNewConnection() {
            reused = false;
            connection = null;
            connect();
        }

        String requestTarget() {
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        }

        void timeOut() {
            fail(FailureKind.TIMEOUT, "no complete response within " + Durations.format(limits.totalTimeout())
                    + (started ? "" : " (waited for a free fetch slot all that time)"));
        }

        void fail(FailureKind kind, String message) {
            result.complete(failure(kind, message));
        }

        /** Runs once the result is known: stops the timer and an unfinished exchange, frees the slot. */
        void cleanUp() {
            ScheduledFuture<?> timer = deadline;
            if (timer != null) {
                timer.cancel(false);
            }
            if (loop.inEventLoop()) {
                abandonExchange();
            } else if (!loops.isShuttingDown()) {
                try {
                    loop.execute(this::abandonExchange);
                } catch (RejectedExecutionException e) {
                    // the loop is stopping and closes every connection
                }
            }
            releaseSlot(this);
        }

        private void abandonExchange() {
            Connection running = connection;
            connection = null;
            if (running != null) {
                running.abandon(this);
            }
        }

        Failure failureFor(Throwable error) {
            Throwable cause = error;
            while (cause.getCause() != null && !(cause instanceof SSLException) && !(cause instanceof IOException)) {
                cause = cause.getCause();
            }
            if (cause instanceof SslHandshakeTimeoutException) {
                connectOutcome(peer, true);
                return failure(FailureKind.TIMEOUT, "TLS handshake timed out after " + Durations.format(limits.connectTimeout())
                        + ": does the port speak TLS?");
            }
            if (cause instanceof SSLException) {
                return failure(FailureKind.TLS, TlsFailures.describe(cause, access.tls()));
            }
            if (cause instanceof ConnectException) {
                // Netty's subclass only adds the address to the message.
                return failure(FailureKind.CONNECTION, "connect failed: ConnectException"
                        + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
            }
            if (cause instanceof IOException) {
                return failure(FailureKind.CONNECTION, describe("exchange failed", cause));
            }
            return failure(FailureKind.CONNECTION, describe("request failed", cause));
        }

        Failure failure(FailureKind kind, String message) {
            return new Failure(kind, safeMessage(message), elapsed());
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }
    }

    /**
     * One connection to a peer and the exchange running on it, if any: sends the request, checks that the
     * answer starts like HTTP/1, and reads the response as its chunks arrive into a capped buffer (gunzipped on
     * the way). Lives on the event loop; between exchanges it waits in the idle pool holding no body.
     */
    private final class Connection extends ChannelInboundHandlerAdapter {
        final Peer peer;
        final StatusLineCheck statusLineCheck = new StatusLineCheck(this);
        Channel channel;
        long idleSince;
        private Fetch fetch;
        private boolean keepAlive;
        private int status;
        private String contentType;
        private CappedBuffer body;
        private StreamingGunzip gunzip;
        private int lastBodyBytes;
        private URI requestUri;
        private ScrapeAccess requestAccess;
        private byte[] requestBytes;

        Connection(Peer peer) {
            this.peer = peer;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            channel = context.channel();
        }

        void send(Fetch next, boolean kept) {
            if (next.result.isDone()) {
                keepIdle(this);
                return;
            }
            fetch = next;
            next.connection = this;
            next.reused = kept;
            statusLineCheck.expectResponse();
            // A failed write reaches exceptionCaught, and so broken(), like any other error on the connection.
            channel.writeAndFlush(Unpooled.wrappedBuffer(request(next)), channel.voidPromise());
        }

        /**
         * The request's bytes, encoded once per connection and target: a pod's connection carries the same
         * scrape every interval, and building and encoding Netty's request and header objects for it each
         * time was a fifth of the event loop's CPU. The access (token, compression) is part of what decides the
         * bytes: a policy change brings a new access object. The URI's raw parts and the token (printable ASCII,
         * see {@link ScrapeAccess#of}) cannot break the request's lines.
         */
        private byte[] request(Fetch next) {
            if (next.uri != requestUri || next.access != requestAccess) {
                StringBuilder text = new StringBuilder(256).append("GET ").append(next.requestTarget()).append(" HTTP/1.1\r\n")
                        .append(HttpHeaderNames.HOST).append(": ").append(next.uri.getRawAuthority()).append("\r\n")
                        .append(HttpHeaderNames.ACCEPT).append(": ").append(ACCEPT).append("\r\n")
                        .append(HttpHeaderNames.ACCEPT_ENCODING).append(next.access.compression() ? ": gzip\r\n" : ": identity\r\n")
                        .append(HttpHeaderNames.USER_AGENT).append(": ").append(USER_AGENT).append("\r\n");
                if (next.access.bearerToken() != null) {
                    text.append(HttpHeaderNames.AUTHORIZATION).append(": Bearer ").append(next.access.bearerToken()).append("\r\n");
                }
                requestBytes = text.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
                requestUri = next.uri;
                requestAccess = next.access;
            }
            return requestBytes;
        }

        /** The fetch ended elsewhere (timeout, close, cancel): its exchange is cut off with the connection. */
        void abandon(Fetch ended) {
            if (fetch == ended) {
                endExchange();
                channel.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            try {
                if (fetch == null || fetch.result.isDone()) {
                    endExchange();
                    channel.close(); // an answer nobody asked for, on an idle connection or after the fetch ended
                    return;
                }
                if (message instanceof HttpResponse response) {
                    head(response);
                }
                if (fetch != null && message instanceof HttpContent content) {
                    content(content);
                }
            } finally {
                ReferenceCountUtil.release(message);
            }
        }

        private void head(HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                failAndClose(FailureKind.CONNECTION, describe("invalid HTTP response", response.decoderResult().cause()));
                return;
            }
            status = response.status().code();
            HttpHeaders headers = response.headers();
            if (status >= 300 && status < 400) {
                String location = headers.get(HttpHeaderNames.LOCATION, "");
                failAndClose(FailureKind.REDIRECT, "redirect " + status + " to " + BoundedText.quote(location) + " not followed");
                return;
            }
            if ((status < 200 || status >= 300) && !(fetch.keepErrorBodies && status >= 400)) {
                failAndClose(FailureKind.HTTP_STATUS, statusMessage(status));
                return;
            }
            String encoding = headers.get(HttpHeaderNames.CONTENT_ENCODING, "").trim().toLowerCase(Locale.ROOT);
            boolean gzip = encoding.equals("gzip") || encoding.equals("x-gzip");
            if (!gzip && !encoding.isEmpty() && !encoding.equals("identity")) {
                failAndClose(FailureKind.BAD_ENCODING, "unsupported Content-Encoding " + BoundedText.quote(encoding));
                return;
            }
            long declaredLength = HttpUtil.getContentLength(response, -1L);
            long maxBodyBytes = fetch.limits.maxBodyBytes();
            if (!gzip && declaredLength > maxBodyBytes) {
                failAndClose(FailureKind.TOO_LARGE, "Content-Length " + declaredLength + " is larger than " + maxBodyBytes + " bytes");
                return;
            }
            keepAlive = HttpUtil.isKeepAlive(response);
            contentType = BoundedText.bounded(headers.get(HttpHeaderNames.CONTENT_TYPE, ""), 200);
            // Sized for the declared length, or for the peer's last body with room for its numbers to grow.
            int expected = declaredLength >= 0 && !gzip ? (int) declaredLength : lastBodyBytes + lastBodyBytes / 8;
            body = new CappedBuffer(maxBodyBytes, expected);
            gunzip = gzip ? new StreamingGunzip(body) : null;
        }

        private void content(HttpContent content) {
            if (content.decoderResult().isFailure()) {
                failAndClose(FailureKind.CONNECTION, describe("invalid HTTP response", content.decoderResult().cause()));
                return;
            }
            ByteBuf bytes = content.content();
            try {
                if (bytes.isReadable() && !append(bytes)) {
                    failAndClose(FailureKind.TOO_LARGE, "body is larger than " + fetch.limits.maxBodyBytes() + " bytes"
                            + (gunzip != null ? " after gunzip" : ""));
                    return;
                }
                if (content instanceof LastHttpContent) {
                    if (gunzip != null) {
                        gunzip.finish();
                    }
                    finish();
                }
            } catch (ZipException e) {
                failAndClose(FailureKind.BAD_ENCODING, "invalid gzip body: " + e.getMessage());
            }
        }

        /** Adds a chunk straight from the network buffer; false when the body is now over its cap. */
        private boolean append(ByteBuf bytes) throws ZipException {
            for (ByteBuffer chunk : bytes.nioBuffers()) {
                if (!(gunzip == null ? body.append(chunk) : gunzip.write(chunk))) {
                    return false;
                }
            }
            return true;
        }

        private void finish() {
            Fetch done = fetch;
            lastBodyBytes = body.size();
            FetchResult outcome = status >= 200 && status < 300
                    ? new Success(body.array(), body.size(), contentType, done.elapsed())
                    : new ErrorResponse(status, body.array(), body.size(), contentType, done.elapsed());
            endExchange();
            if (keepAlive) {
                keepIdle(this);
            } else {
                channel.close();
            }
            done.result.complete(outcome);
        }

        private void failAndClose(FailureKind kind, String message) {
            Fetch failed = fetch;
            endExchange();
            channel.close();
            failed.fail(kind, message);
        }

        /** Drops the exchange and its body: a connection waiting in the pool must not keep a pod's last body alive. */
        private void endExchange() {
            if (fetch != null && fetch.connection == this) {
                fetch.connection = null;
            }
            fetch = null;
            body = null;
            contentType = null;
            if (gunzip != null) {
                gunzip.release();
                gunzip = null;
            }
        }

        /** The first bytes of the answer were not an HTTP/1 status line. */
        void notHttp(String head) {
            if (fetch != null) {
                failAndClose(FailureKind.CONNECTION, "not HTTP: the answer starts with " + BoundedText.quote(head));
            } else {
                channel.close();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext context, Object event) {
            if (event instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
                broken(handshake.cause());
            }
            context.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            broken(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            forgetIdle(this);
            broken(new IOException("the peer closed the connection before the response was complete"));
        }

        private void broken(Throwable cause) {
            Fetch failed = fetch;
            endExchange();
            channel.close();
            if (failed == null || failed.result.isDone()) {
                return;
            }
            if (failed.reused && !statusLineCheck.answered() && cause instanceof IOException) {
                failed.retryOnNewConnection();
            } else {
                failed.result.complete(failed.failureFor(cause));
            }
        }
    }

    /**
     * Sits in front of the HTTP decoder and looks at the first bytes of each answer: a peer that is not an HTTP
     * server (SSH, a database, a TLS port's alert, binary garbage) is cut off with those bytes quoted, instead of
     * being fed to the decoder.
     */
    private static final class StatusLineCheck extends ChannelInboundHandlerAdapter {
        private final Connection connection;
        private final byte[] head = new byte[HTTP_1.length];
        private int seen;

        StatusLineCheck(Connection connection) {
            this.connection = connection;
        }

        void expectResponse() {
            seen = 0;
        }

        boolean answered() {
            return seen > 0;
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            if (seen < HTTP_1.length && message instanceof ByteBuf bytes) {
                for (int i = bytes.readerIndex(); i < bytes.writerIndex() && seen < HTTP_1.length; i++) {
                    byte next = bytes.getByte(i);
                    head[seen++] = next;
                    if (next != HTTP_1[seen - 1]) {
                        // Quote as many of the first bytes as this read holds, up to the length of "HTTP/1.".
                        int quoted = Math.min(HTTP_1.length, seen + bytes.writerIndex() - i - 1);
                        bytes.getBytes(i + 1, head, seen, quoted - seen);
                        bytes.release();
                        connection.notHttp(new String(head, 0, quoted, StandardCharsets.ISO_8859_1));
                        return;
                    }
                }
            }
            context.fireChannelRead(message);
        }
    }

    /**
     * The status, and for the two an authenticating proxy such as kube-rbac-proxy answers, what it means and
     * what to change: a bare "403" sends people looking at the pod instead of at the operator's rights.
     */
    private static String statusMessage(int status) {
        return switch (status) {
            case 401 -> "HTTP status 401: the endpoint did not authenticate the request (no bearer token, or one it rejects:"
                    + " see spec.metrics.authorization)";
            case 403 -> "HTTP status 403: the endpoint authenticated the operator but forbids it (behind kube-rbac-proxy,"
                    + " grant its ServiceAccount get on /metrics: " + METRICS_READER_EXAMPLE + ")";
            default -> "HTTP status " + status;
        };
    }

    /** "what: ExceptionType: message", for exceptions whose own message may be missing or hostile. */
    static String describe(String what, Throwable error) {
        String detail = error.getMessage();
        return what + ": " + error.getClass().getSimpleName() + (detail == null ? "" : ": " + detail);
    }

    static String safeMessage(String message) {
        return BoundedText.bounded(message, BoundedText.MAX_MESSAGE_BYTES);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            // Netty's FastThreadLocal (its buffer pool's thread caches) is fastest on its own thread class.
            Thread thread = new FastThreadLocalThread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
