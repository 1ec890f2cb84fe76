package dev.leakguard.faults;

import dev.leakguard.demo.EvictionAwareDispatcher;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The eviction-aware CRUD mock with API-server trouble on demand: per (method, path regex) it
 * answers an error Status (500, 429 with Retry-After, 410 Gone, …), delays the answer, or carries
 * the request out and then answers an error (the response that got lost after the server acted).
 * Open watch connections can be dropped, or expired with the 410 ERROR event a real API server
 * sends for a resourceVersion it no longer has.
 *
 * <p>Matching uses the HTTP method, or {@code WATCH} for a GET with {@code watch=true}, which a
 * plain {@code GET} rule never matches. Dispatch runs on the mock's event loop, so delays are
 * never slept here: the mock sends the delayed answer from a timer.
 */
public final class FaultInjectingDispatcher extends EvictionAwareDispatcher {
    private static final Pattern EVICTION = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)/eviction/?");

    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final Set<WebSocket> openWatches = ConcurrentHashMap.newKeySet();
    private final Map<WebSocket, String> watchPaths = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> evicted = new ConcurrentHashMap<>();

    /** What an injected fault does with a matching request. */
    public enum Kind {
        /** Answer {@code code} without touching the stored objects. */
        FAIL,
        /** Carry the request out, then answer {@code code}: the server acted, the client cannot know. */
        FAIL_AFTER_ACTING,
        /** Carry the request out and answer normally, {@code delay} later. */
        DELAY
    }

    /**
     * One injected fault. {@code remaining} counts down per matching request; a negative count
     * never runs out. {@code hits} counts the requests it answered.
     */
    public static final class Fault {
        final String method;
        final Pattern path;
        final Kind kind;
        final int code;
        final int retryAfterSeconds;
        final Duration delay;
        final AtomicInteger remaining;
        final AtomicInteger hits = new AtomicInteger();

        private Fault(String method, String pathRegex, Kind kind, int code, int retryAfterSeconds, Duration delay, int times) {
            this.method = method;
            this.path = Pattern.compile(pathRegex);
            this.kind = kind;
            this.code = code;
            this.retryAfterSeconds = retryAfterSeconds;
            this.delay = delay;
            this.remaining = new AtomicInteger(times);
        }

        public int hits() {
            return hits.get();
        }

        boolean take(String requestMethod, String requestPath) {
            if (!method.equals(requestMethod) || !path.matcher(requestPath).matches()) {
                return false;
            }
            while (true) {
                int left = remaining.get();
                if (left == 0) {
                    return false;
                }
                if (left < 0 || remaining.compareAndSet(left, left - 1)) {
                    hits.incrementAndGet();
                    return true;
                }
            }
        }
    }

    /** Answers {@code code} (with Retry-After when {@code retryAfterSeconds} &gt; 0) to the next {@code times} matches; -1: always. */
    public Fault fail(String method, String pathRegex, int code, int retryAfterSeconds, int times) {
        return add(new Fault(method, pathRegex, Kind.FAIL, code, retryAfterSeconds, null, times));
    }

    /** Carries out the next {@code times} matching requests and answers {@code code} anyway. */
    public Fault failAfterActing(String method, String pathRegex, int code, int times) {
        return add(new Fault(method, pathRegex, Kind.FAIL_AFTER_ACTING, code, 0, null, times));
    }

    /** Answers the next {@code times} matching requests {@code delay} late. */
    public Fault delay(String method, String pathRegex, Duration delay, int times) {
        return add(new Fault(method, pathRegex, Kind.DELAY, 0, 0, delay, times));
    }

    private Fault add(Fault fault) {
        faults.add(fault);
        return fault;
    }

    public void remove(Fault fault) {
        faults.remove(fault);
    }

    public void clearFaults() {
        faults.clear();
    }

    /** Open watch connections whose path matches, e.g. {@code .*leakpolicies.*}. */
    public int openWatches(String pathRegex) {
        Pattern pattern = Pattern.compile(pathRegex);
        return (int) watchPaths.values().stream().filter(p -> pattern.matcher(p).matches()).count();
    }

    /** Closes every open watch connection, as a restarted API server or a broken connection would. */
    public int dropWatches() {
        int dropped = 0;
        for (WebSocket socket : Set.copyOf(openWatches)) {
            forget(socket);
            socket.close(1001, "going away");
            dropped++;
        }
        return dropped;
    }

    /**
     * Ends every open watch the way a real API server ends a watch on a compacted resourceVersion:
     * an ERROR event carrying a 410 Gone Status, then the close. Informers must list again.
     */
    public int expireWatches() {
        String gone = "{\"type\":\"ERROR\",\"object\":" + Serialization.asJson(new StatusBuilder()
                .withApiVersion("v1").withKind("Status").withStatus("Failure").withCode(410).withReason("Expired")
                .withMessage("too old resource version").build()) + "}";
        int expired = 0;
        for (WebSocket socket : Set.copyOf(openWatches)) {
            forget(socket);
            socket.send(gone);
            socket.close(1000, "");
            expired++;
        }
        return expired;
    }

    /** Evictions the store carried out (201), by "namespace/pod". */
    public Map<String, Integer> evicted() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        evicted.forEach((pod, count) -> out.put(pod, count.get()));
        return out;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String rawPath = request.getPath();
        String path = rawPath.indexOf('?') < 0 ? rawPath : rawPath.substring(0, rawPath.indexOf('?'));
        boolean watch = "GET".equals(request.getMethod()) && (rawPath.contains("watch=true") || rawPath.contains("watch=1"));
        String method = watch ? "WATCH" : request.getMethod();
        for (Fault fault : faults) {
            if (fault.take(method, path)) {
                return apply(fault, request, path);
            }
        }
        return tracked(forward(request, path), path);
    }

    /** The stored objects' answer, counting evictions it carried out. */
    private MockResponse forward(RecordedRequest request, String path) {
        MockResponse response = super.dispatch(request);
        Matcher eviction = EVICTION.matcher(path);
        if ("POST".equals(request.getMethod()) && response.code() == 201 && eviction.matches()) {
            evicted.computeIfAbsent(eviction.group(1) + "/" + eviction.group(2), k -> new AtomicInteger()).incrementAndGet();
        }
        return response;
    }

    private MockResponse apply(Fault fault, RecordedRequest request, String path) {
        return switch (fault.kind) {
            case FAIL -> failure(fault.code, fault.retryAfterSeconds);
            case FAIL_AFTER_ACTING -> {
                forward(request, path);
                yield failure(fault.code, 0);
            }
            case DELAY -> forward(request, path).setBodyDelay(fault.delay);
        };
    }

    private static MockResponse failure(int code, int retryAfterSeconds) {
        String reason = switch (code) {
            case 410 -> "Expired";
            case 429 -> "TooManyRequests";
            case 503 -> "ServiceUnavailable";
            default -> "InternalError";
        };
        StatusBuilder status = new StatusBuilder().withApiVersion("v1").withKind("Status").withStatus("Failure")
                .withCode(code).withReason(reason).withMessage("injected fault: " + code);
        if (retryAfterSeconds > 0) {
            status.withNewDetails().withRetryAfterSeconds(retryAfterSeconds).endDetails();
        }
        MockResponse response = new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                .setBody(Serialization.asJson(status.build()));
        return retryAfterSeconds > 0 ? response.setHeader("Retry-After", retryAfterSeconds) : response;
    }

    /** Remembers the WebSocket of a watch so that a test can drop or expire it later. */
    private MockResponse tracked(MockResponse response, String path) {
        WebSocketListener watch = response.getWebSocketListener();
        if (watch == null) {
            return response;
        }
        return response.withWebSocketUpgrade(new WebSocketListener() {
            @Override
            public void onOpen(WebSocket socket, Response upgrade) {
                openWatches.add(socket);
                watchPaths.put(socket, path);
                watch.onOpen(socket, upgrade);
            }

            @Override
            public void onMessage(WebSocket socket, String text) {
                watch.onMessage(socket, text);
            }

            @Override
            public void onClosing(WebSocket socket, int code, String reason) {
                forget(socket);
                watch.onClosing(socket, code, reason);
            }

            @Override
            public void onClosed(WebSocket socket, int code, String reason) {
                forget(socket);
                watch.onClosed(socket, code, reason);
            }

            @Override
            public void onFailure(WebSocket socket, Throwable error, Response upgrade) {
                forget(socket);
                watch.onFailure(socket, error, upgrade);
            }
        });
    }

    private void forget(WebSocket socket) {
        openWatches.remove(socket);
        watchPaths.remove(socket);
    }
}
