package dev.leakguard.scrape;

import dev.leakguard.policy.Durations;
import dev.leakguard.scrape.FetchResult.Failure;
import dev.leakguard.text.BoundedText;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;

/**
 * Fetches metrics and profiles from pods over HTTP/1.1 (plain or TLS, with a bearer token when the
 * {@link ScrapeAccess} has one) with hard limits, without blocking the
 * caller: at most {@code maxConcurrentFetches} exchanges run at once (further fetches wait in
 * order; a peer whose last connect timed out waits for a few slots of its own instead, so that
 * black-holed pods cannot starve the others), redirects are never followed, the total timeout covers the whole body (a server that
 * sends headers and then one byte per second is cut off), and a body is never buffered beyond its
 * cap — gzip bodies are limited by their decompressed size. A peer whose last answer was not
 * HTTP is sniffed on a socket of leakguard's own before the next exchange (see {@code sniff}).
 *
 * <p>The returned future never completes exceptionally unless the caller cancels it (which
 * abandons the exchange); every problem becomes a {@link Failure} with a bounded, printable message.
 */
public final class HttpFetcher implements AutoCloseable {

    /** Prefers OpenMetrics, accepts the 0.0.4 text format, and anything else (profiles, dumps). */
    public static final String ACCEPT =
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1";
    private static final int HTTP_THREADS = 2;
    private static final int REMEMBERED_PEERS = 4096;
    private static final String HTTP_1 = "HTTP/1.";
    /** The shipped ClusterRole and binding that let the operator's ServiceAccount past kube-rbac-proxy's default check. */
    static final String METRICS_READER_EXAMPLE = "deploy/app-namespace/clusterrole-metrics-reader.yaml";
    private static final long SNIFF_READ_MILLIS = 2000;
    private static final AtomicInteger FETCHER_IDS = new AtomicInteger();
    /** Distinct TLS settings (CA bundles, server names) kept with a client of their own; a dropped client is collected. */
    private static final int MAX_CLIENTS = 32;
    private static final int UNANSWERING_SLOTS = 4;

    private final ExecutorService httpExecutor;
    private final ScheduledThreadPoolExecutor deadlines;
    /** One client per connect timeout and TLS setting (an SSL context is per client); the least recently used goes first. */
    private final Map<ClientKey, HttpClient> clients = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ClientKey, HttpClient> eldest) {
            return size() > MAX_CLIENTS;
        }
    };
    private final Set<Fetch> unfinished = ConcurrentHashMap.newKeySet();
    /** The slots every fetch shares. */
    private final Lane shared;
    /**
     * Peers whose last connect timed out (SYNs dropped: a NetworkPolicy, a firewall, a listener that
     * never accepts) wait for their own few slots, so that a black-holed share of the fleet never
     * holds the shared slots for a connect timeout on every interval.
     */
    private final Lane unanswering = new Lane(UNANSWERING_SLOTS);
    /** Peers ("host:port") whose last connect timed out, most recent last. */
    private final Map<String, Boolean> connectTimedOut = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_PEERS;
        }
    };
    /** Peers ("host:port") whose last answer the JDK client could not parse, most recent last. */
    private final Map<String, Boolean> notHttp = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_PEERS;
        }
    };
    private boolean closed;

    public HttpFetcher(int maxConcurrentFetches) {
        if (maxConcurrentFetches < 1) {
            throw new IllegalArgumentException("maxConcurrentFetches must be at least 1, was " + maxConcurrentFetches);
        }
        this.shared = new Lane(maxConcurrentFetches);
        int id = FETCHER_IDS.incrementAndGet();
        this.httpExecutor = Executors.newFixedThreadPool(HTTP_THREADS, daemonThreads("leakguard-http-" + id + "-"));
        this.deadlines = new ScheduledThreadPoolExecutor(1, daemonThreads("leakguard-http-deadline-" + id + "-"));
        this.deadlines.setRemoveOnCancelPolicy(true);
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

    private CompletableFuture<FetchResult> start(Fetch fetch) {
        FetchLimits limits = fetch.limits;
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
            fetch.lane = timedOutLastTime(fetch.uri) ? unanswering : shared;
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
            fetch.deadline = deadlines.schedule(fetch::timeOut, limits.totalTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            fetch.fail(FailureKind.CONNECTION, "fetcher is closed");
        }
        if (startNow) {
            fetch.start();
        }
        return fetch.result;
    }

    /** Fails every unfinished fetch and stops the fetcher's threads. */
    @Override
    public void close() {
        List<Fetch> abandoned;
        synchronized (this) {
            closed = true;
            abandoned = new ArrayList<>(unfinished);
        }
        abandoned.forEach(fetch -> fetch.fail(FailureKind.CONNECTION, "fetcher is closed"));
        deadlines.shutdownNow();
        httpExecutor.shutdownNow();
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

    private boolean timedOutLastTime(URI uri) {
        synchronized (connectTimedOut) {
            return connectTimedOut.containsKey(uri.getRawAuthority());
        }
    }

    /** A connect that timed out puts the peer in the unanswering lane; any answer takes it out again. */
    private void connectOutcome(URI uri, boolean timedOut) {
        synchronized (connectTimedOut) {
            if (timedOut) {
                connectTimedOut.put(uri.getRawAuthority(), Boolean.TRUE);
            } else {
                connectTimedOut.remove(uri.getRawAuthority());
            }
        }
    }

    private boolean spokeHttp(URI uri) {
        synchronized (notHttp) {
            return !notHttp.containsKey(uri.getRawAuthority());
        }
    }

    private void rememberNotHttp(URI uri) {
        synchronized (notHttp) {
            notHttp.put(uri.getRawAuthority(), Boolean.TRUE);
        }
    }

    private void forgetNotHttp(URI uri) {
        synchronized (notHttp) {
            notHttp.remove(uri.getRawAuthority());
        }
    }

    private record ClientKey(Duration connectTimeout, ScrapeAccess.Tls tls) {
    }

    private HttpClient client(Duration connectTimeout, ScrapeAccess.Tls tls) throws GeneralSecurityException {
        ClientKey key = new ClientKey(connectTimeout, tls);
        synchronized (clients) {
            HttpClient client = clients.get(key);
            if (client == null) {
                HttpClient.Builder builder = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .proxy(HttpClient.Builder.NO_PROXY)
                        .connectTimeout(connectTimeout)
                        .executor(httpExecutor);
                if (tls != null) {
                    builder.sslContext(ScrapeAccess.sslContext(tls)).sslParameters(ScrapeAccess.sslParameters(tls));
                }
                client = builder.build();
                clients.put(key, client);
            }
            return client;
        }
    }

    /** One fetch from call to result; its result completes exactly once, by whichever path ends first. */
    private final class Fetch {
        final URI uri;
        final FetchLimits limits;
        final boolean keepErrorBodies;
        final ScrapeAccess access;
        final long startNanos = System.nanoTime();
        final CompletableFuture<FetchResult> result = new CompletableFuture<>();
        boolean holdsSlot;
        Lane lane;
        volatile ScheduledFuture<?> deadline;
        volatile CompletableFuture<?> exchange;
        volatile BodyCollector body;
        final DetachableHandler handler = new DetachableHandler(this);

        Fetch(URI uri, FetchLimits limits, boolean keepErrorBodies, ScrapeAccess access) {
            this.uri = uri;
            this.limits = limits;
            this.keepErrorBodies = keepErrorBodies;
            this.access = access;
        }

        void start() {
            if (result.isDone()) {
                return;
            }
            if (!spokeHttp(uri)) {
                try {
                    httpExecutor.execute(this::sniffThenSend);
                } catch (RejectedExecutionException e) {
                    fail(FailureKind.CONNECTION, "fetcher is closed");
                }
                return;
            }
            send();
        }

        /** For a peer that answered something other than HTTP last time: look at its answer on our own socket first. */
        private void sniffThenSend() {
            String notHttp = sniff();
            if (notHttp != null) {
                fail(FailureKind.CONNECTION, notHttp);
                return;
            }
            forgetNotHttp(uri);
            send();
        }

        /** Null when the peer answers a HEAD with an HTTP/1 status line, else what went wrong. The socket is always closed. */
        private String sniff() {
            String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, uri.getPort()), (int) limits.connectTimeout().toMillis());
                socket.setSoTimeout((int) Math.max(1, Math.min(remaining().toMillis(), SNIFF_READ_MILLIS)));
                String path = uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
                socket.getOutputStream().write(("HEAD " + path + " HTTP/1.1\r\nHost: " + uri.getRawAuthority()
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String head = new String(socket.getInputStream().readNBytes(HTTP_1.length()), StandardCharsets.ISO_8859_1);
                return head.equals(HTTP_1) ? null : "not HTTP: the answer starts with " + BoundedText.quote(head);
            } catch (IOException e) {
                return describe("exchange failed", e);
            }
        }

        private void send() {
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                        .GET()
                        .timeout(remaining())
                        .header("Accept", ACCEPT)
                        .header("Accept-Encoding", "gzip");
                if (access.bearerToken() != null) {
                    request.header("Authorization", "Bearer " + access.bearerToken());
                }
                CompletableFuture<HttpResponse<BodyCollector.Handoff>> sent =
                        client(limits.connectTimeout(), access.tls()).sendAsync(request.build(), handler);
                exchange = sent;
                sent.whenComplete((response, error) -> {
                    if (error == null) {
                        FetchResult outcome = response.body().take();
                        if (outcome != null) {
                            result.complete(outcome);
                        }
                    } else {
                        result.complete(failureFor(error));
                    }
                });
                if (result.isDone()) {
                    sent.cancel(true);
                }
            } catch (GeneralSecurityException e) {
                fail(FailureKind.TLS, describe("cannot set up TLS", e));
            } catch (RuntimeException e) {
                fail(FailureKind.CONNECTION, describe("cannot send request", e));
            }
        }

        private BodySubscriber<BodyCollector.Handoff> collectorFor(HttpResponse.ResponseInfo response) {
            BodyCollector collector = chooseCollector(response);
            body = collector;
            if (result.isDone()) {
                collector.cancel();
            }
            return collector;
        }

        private BodyCollector chooseCollector(HttpResponse.ResponseInfo response) {
            connectOutcome(uri, false);
            int status = response.statusCode();
            if (status >= 300 && status < 400) {
                String location = response.headers().firstValue("Location").orElse("");
                return rejecting(FailureKind.REDIRECT, "redirect " + status + " to " + BoundedText.quote(location)
                        + " not followed");
            }
            if ((status < 200 || status >= 300) && !(keepErrorBodies && status >= 400)) {
                return rejecting(FailureKind.HTTP_STATUS, statusMessage(status));
            }
            String encoding = response.headers().firstValue("Content-Encoding").orElse("").trim().toLowerCase(Locale.ROOT);
            boolean gzip = encoding.equals("gzip") || encoding.equals("x-gzip");
            if (!gzip && !encoding.isEmpty() && !encoding.equals("identity")) {
                return rejecting(FailureKind.BAD_ENCODING, "unsupported Content-Encoding " + BoundedText.quote(encoding));
            }
            OptionalLong declaredLength = declaredLength(response);
            if (!gzip && declaredLength.isPresent() && declaredLength.getAsLong() > limits.maxBodyBytes()) {
                return rejecting(FailureKind.TOO_LARGE, "Content-Length " + declaredLength.getAsLong()
                        + " is larger than " + limits.maxBodyBytes() + " bytes");
            }
            String contentType = BoundedText.bounded(response.headers().firstValue("Content-Type").orElse(""), 200);
            return BodyCollector.collecting(limits.maxBodyBytes(), status, gzip, contentType, this::elapsed);
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

        private BodyCollector rejecting(FailureKind kind, String message) {
            return BodyCollector.rejecting(new Failure(kind, safeMessage(message), elapsed()));
        }

        private OptionalLong declaredLength(HttpResponse.ResponseInfo response) {
            try {
                return response.headers().firstValueAsLong("Content-Length");
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }

        void timeOut() {
            fail(FailureKind.TIMEOUT, "no complete response within " + Durations.format(limits.totalTimeout())
                    + (exchange == null ? " (waited for a free fetch slot all that time)" : ""));
        }

        void fail(FailureKind kind, String message) {
            result.complete(new Failure(kind, safeMessage(message), elapsed()));
        }

        /** Runs once the result is known: stops the timer and the exchange, frees the slot. */
        void cleanUp() {
            handler.detach();
            ScheduledFuture<?> timer = deadline;
            if (timer != null) {
                timer.cancel(false);
            }
            BodyCollector collector = body;
            if (collector != null) {
                collector.cancel();
            }
            CompletableFuture<?> running = exchange;
            if (running != null && !running.isDone()) {
                running.cancel(true);
            }
            releaseSlot(this);
        }

        private Failure failureFor(Throwable error) {
            Throwable cause = error;
            while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            connectOutcome(uri, cause instanceof HttpConnectTimeoutException);
            if (cause instanceof HttpConnectTimeoutException) {
                // The JDK counts the TLS handshake in the connect timeout: a plain-http port often just waits for more bytes.
                return failure(FailureKind.TIMEOUT, "connect timed out after " + Durations.format(limits.connectTimeout())
                        + (access.tls() == null ? "" : " (connection or TLS handshake: does the port speak TLS?)"));
            }
            if (cause instanceof HttpTimeoutException) {
                return failure(FailureKind.TIMEOUT, "no response headers within " + Durations.format(limits.totalTimeout()));
            }
            if (cause instanceof CancellationException) {
                return failure(FailureKind.CONNECTION, "exchange cancelled");
            }
            if (cause instanceof ConnectException) {
                return failure(FailureKind.CONNECTION, describe("connect failed", cause));
            }
            if (cause instanceof SSLException) {
                return failure(FailureKind.TLS, TlsFailures.describe(cause, access.tls()));
            }
            if (cause instanceof ProtocolException && access.tls() == null) {
                // The JDK client does not close the socket of an answer it cannot parse (still so in JDK 25): every
                // such exchange would leak a file descriptor. The next fetches of this peer sniff it on a socket of ours.
                rememberNotHttp(uri);
            }
            if (cause instanceof IOException) {
                return failure(FailureKind.CONNECTION, describe("exchange failed", cause));
            }
            return failure(FailureKind.CONNECTION, describe("request failed", cause));
        }

        private Failure failure(FailureKind kind, String message) {
            return new Failure(kind, safeMessage(message), elapsed());
        }

        private Duration remaining() {
            Duration left = limits.totalTimeout().minus(elapsed());
            return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }
    }

    /**
     * The body handler the HTTP client keeps with a pooled connection's last exchange; it lets go
     * of its fetch (and so of the fetch's result and body) as soon as the fetch is over.
     */
    private static final class DetachableHandler implements HttpResponse.BodyHandler<BodyCollector.Handoff> {
        private volatile Fetch fetch;

        DetachableHandler(Fetch fetch) {
            this.fetch = fetch;
        }

        @Override
        public BodySubscriber<BodyCollector.Handoff> apply(HttpResponse.ResponseInfo response) {
            Fetch current = fetch;
            return current != null ? current.collectorFor(response)
                    : BodyCollector.rejecting(new Failure(FailureKind.CONNECTION, "fetch is over", Duration.ZERO));
        }

        void detach() {
            fetch = null;
        }
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
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
