package dev.leakguard.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.leakguard.fixtures.MetricsFixtures;
import dev.leakguard.scrape.FetchResult.Failure;
import dev.leakguard.scrape.FetchResult.Success;
import dev.leakguard.testing.BlackHoledListener;
import dev.leakguard.testing.ProjectRoot;
import dev.leakguard.text.BoundedText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each hostile server behaviour against real loopback servers. Timeouts in here are limits given
 * to the fetcher, not assertions on speed; {@link #HANG_GUARD_SECONDS} only stops a hung test.
 */
class HttpFetcherTest {

    private static final long HANG_GUARD_SECONDS = 60;
    private static final int ONE_MIB = 1 << 20;
    private static final FetchLimits SMALL = new FetchLimits(ONE_MIB, Duration.ofSeconds(2), Duration.ofSeconds(10));

    private final MockWebServer server = new MockWebServer();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private HttpFetcher fetcher;

    @BeforeEach
    void start() throws IOException {
        server.start(InetAddress.getLoopbackAddress(), 0);
        fetcher = new HttpFetcher(4);
    }

    @AfterEach
    void stop() throws Exception {
        fetcher.close();
        server.close();
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    // ---- success -------------------------------------------------------------------------------

    @Test
    void successCarriesBodyAndContentTypeAndTheRequestAsksForMetricsFormats() throws Exception {
        byte[] body = MetricsFixtures.bytes(MetricsFixtures.GO_PROMETHEUS_TEXT);
        server.enqueue(new MockResponse.Builder()
                .setHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .body(new Buffer().write(body)).build());

        Success success = success(fetcher.fetch(uri("/metrics"), FetchLimits.metricsDefaults()));

        assertThat(bodyOf(success)).isEqualTo(body);
        assertThat(success.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(success.elapsed()).isPositive();
        RecordedRequest request = server.takeRequest();
        assertThat(request.getMethod()).isEqualTo("GET");
        assertThat(request.getTarget()).isEqualTo("/metrics");
        assertThat(request.getHeaders().get("Accept")).isEqualTo(
                "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1");
        assertThat(request.getHeaders().get("Accept-Encoding")).isEqualTo("gzip");
        assertThat(request.getHeaders().get("User-Agent")).startsWith("leakguard/");
    }

    @Test
    void aKeptConnectionAsksEachFetchForItsOwnTargetAndCredentials() throws Exception {
        for (int i = 0; i < 3; i++) {
            server.enqueue(new MockResponse.Builder().body("a 1\n").build());
        }
        ScrapeAccess withToken = ScrapeAccess.of(null, "s3cret");

        success(fetcher.fetch(uri("/metrics"), SMALL));
        success(fetcher.fetch(uri("/debug/pprof/goroutine?debug=1"), SMALL, withToken));
        success(fetcher.fetch(uri("/metrics"), SMALL));

        RecordedRequest metrics = server.takeRequest();
        RecordedRequest profile = server.takeRequest();
        RecordedRequest again = server.takeRequest();
        assertThat(List.of(metrics.getTarget(), profile.getTarget(), again.getTarget()))
                .containsExactly("/metrics", "/debug/pprof/goroutine?debug=1", "/metrics");
        assertThat(again.getConnectionIndex()).as("one kept-alive connection").isEqualTo(metrics.getConnectionIndex())
                .isEqualTo(profile.getConnectionIndex());
        assertThat(metrics.getHeaders().get("Authorization")).isNull();
        assertThat(profile.getHeaders().get("Authorization")).isEqualTo("Bearer s3cret");
        assertThat(again.getHeaders().get("Authorization")).isNull();
        assertThat(again.getHeaders().get("Host")).isEqualTo(uri("/").getRawAuthority());
    }

    /** The same target on one kept connection: the request bytes cached for it follow the access's compression. */
    @Test
    void aFetchWithoutCompressionAsksForIdentityAndTheSwitchTakesEffectOnAKeptConnection() throws Exception {
        for (int i = 0; i < 3; i++) {
            server.enqueue(new MockResponse.Builder().body("a 1\n").build());
        }
        ScrapeAccess uncompressed = ScrapeAccess.of(null, "s3cret").withCompression(false);

        success(fetcher.fetch(uri("/metrics"), SMALL, ScrapeAccess.of(null, "s3cret")));
        success(fetcher.fetch(uri("/metrics"), SMALL, uncompressed));
        success(fetcher.fetch(uri("/metrics"), SMALL, uncompressed.withCompression(true)));

        RecordedRequest on = server.takeRequest();
        RecordedRequest off = server.takeRequest();
        RecordedRequest onAgain = server.takeRequest();
        assertThat(List.of(on.getConnectionIndex(), off.getConnectionIndex())).as("one kept-alive connection")
                .containsOnly(onAgain.getConnectionIndex());
        assertThat(List.of(on.getHeaders().get("Accept-Encoding"), off.getHeaders().get("Accept-Encoding"),
                onAgain.getHeaders().get("Accept-Encoding"))).containsExactly("gzip", "identity", "gzip");
        assertThat(off.getHeaders().get("Authorization")).isEqualTo("Bearer s3cret");
    }

    @Test
    void aServerThatCompressesAnywayIsStillReadWithCompressionOff() throws Exception {
        byte[] body = MetricsFixtures.bytes(MetricsFixtures.GO_PROMETHEUS_TEXT);
        server.enqueue(gzipResponse(gzip(body)));

        Success success = success(fetcher.fetch(uri("/metrics"), SMALL, ScrapeAccess.PLAIN_HTTP.withCompression(false)));

        assertThat(bodyOf(success)).isEqualTo(body);
        assertThat(server.takeRequest().getHeaders().get("Accept-Encoding")).isEqualTo("identity");
    }

    @Test
    void aTaskOnItsTimerStartsAFetchOnTheThreadThatCompletesIt() throws Exception {
        server.enqueue(new MockResponse.Builder().body("a 1\n").build());
        CompletableFuture<Thread> ticked = new CompletableFuture<>();
        CompletableFuture<Thread> completed = new CompletableFuture<>();

        fetcher.timer().schedule(() -> {
            ticked.complete(Thread.currentThread());
            fetcher.fetch(uri("/metrics"), SMALL).thenRun(() -> completed.complete(Thread.currentThread()));
        }, 1, TimeUnit.MILLISECONDS);

        assertThat(completed.get(10, TimeUnit.SECONDS)).as("no hand-over between a scrape loop's tick and its fetch")
                .isSameAs(ticked.get(10, TimeUnit.SECONDS));
    }

    /**
     * The timer runs scrape ticks whose phases share a slot together; each fetch they start still has its own limits
     * and timer, and a target that hangs holds up none of the others.
     */
    @Test
    void fetchesFiredFromOneSlotEachKeepTheirOwnTimeoutAndSizeLimit() throws Exception {
        RawSocketServer hung = raw((in, out) -> Thread.sleep(TimeUnit.SECONDS.toMillis(HANG_GUARD_SECONDS)));
        RawSocketServer large = raw((in, out) -> {
            RawSocketServer.readRequestHead(in);
            RawSocketServer.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + "x".repeat(5000));
        });
        server.enqueue(new MockResponse.Builder().body("a 1\n").build());
        FetchLimits hungLimits = new FetchLimits(ONE_MIB, Duration.ofSeconds(2), Duration.ofMillis(700));
        FetchLimits largeLimits = new FetchLimits(1000, Duration.ofSeconds(2), Duration.ofSeconds(10));
        Map<String, CompletableFuture<FetchResult>> results = new ConcurrentHashMap<>();
        Map<String, Long> tickedAt = new ConcurrentHashMap<>();
        List<ScheduledFuture<?>> loops = new ArrayList<>();
        Map<String, Runnable> scrapes = Map.of(
                "hung", () -> results.put("hung", fetcher.fetch(hung.uri("/metrics"), hungLimits)),
                "large", () -> results.put("large", fetcher.fetch(large.uri("/metrics"), largeLimits)),
                "good", () -> results.put("good", fetcher.fetch(uri("/metrics"), SMALL)));

        scrapes.forEach((name, scrape) -> loops.add(fetcher.timer().scheduleAtFixedRate(() -> {
            if (tickedAt.putIfAbsent(name, System.nanoTime()) == null) {
                scrape.run();
            }
        }, 0, 1, TimeUnit.MINUTES)));
        awaitCondition(() -> results.size() == 3);

        Success good = success(results.get("good"));
        assertThat(good.elapsed()).as("the good target's answer, beside a hung one in its slot").isLessThan(Duration.ofMillis(500));
        assertThat(results.get("hung")).as("still running when the good one answered").isNotDone();
        Failure tooLarge = failure(results.get("large"));
        assertThat(tooLarge.kind()).isEqualTo(FailureKind.TOO_LARGE);
        assertThat(tooLarge.message()).contains("larger than 1000 bytes");
        Failure timedOut = failure(results.get("hung"));
        assertThat(timedOut.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(timedOut.message()).contains("700ms");
        assertThat(timedOut.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(700)).isLessThan(Duration.ofSeconds(5));
        loops.forEach(loop -> loop.cancel(false));
    }

    @Test
    void emptyBodyIsASuccess() throws Exception {
        server.enqueue(new MockResponse.Builder().code(204).build());

        Success success = success(fetcher.fetch(uri("/metrics"), SMALL));

        assertThat(success.length()).isZero();
        assertThat(success.contentType()).isEmpty();
    }

    @Test
    void gzipBodyIsDecompressed() throws Exception {
        byte[] body = MetricsFixtures.bytes(MetricsFixtures.JVM_OPENMETRICS);
        server.enqueue(gzipResponse(gzip(body)));

        assertThat(bodyOf(success(fetcher.fetch(uri("/metrics"), SMALL)))).isEqualTo(body);
    }

    @Test
    void concatenatedGzipMembersAreOneBody() throws Exception {
        byte[] first = "a 1\n".getBytes(StandardCharsets.US_ASCII);
        byte[] second = "b 2\n".getBytes(StandardCharsets.US_ASCII);
        server.enqueue(gzipResponse(concat(gzip(first), gzip(second))));

        assertThat(new String(bodyOf(success(fetcher.fetch(uri("/metrics"), SMALL))), StandardCharsets.US_ASCII))
                .isEqualTo("a 1\nb 2\n");
    }

    @Test
    void gzipBodyExactlyAtTheCapIsAccepted() throws Exception {
        server.enqueue(gzipResponse(gzip(new byte[ONE_MIB])));

        assertThat(success(fetcher.fetch(uri("/metrics"), SMALL)).length()).isEqualTo(ONE_MIB);
    }

    // ---- size limits ---------------------------------------------------------------------------

    @Test
    void plainBodyOverTheCapIsTooLarge() throws Exception {
        server.enqueue(new MockResponse.Builder().chunkedBody(new Buffer().write(new byte[ONE_MIB + 1]), 64 * 1024).build());

        Failure failure = failure(fetcher.fetch(uri("/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.TOO_LARGE);
        assertThat(failure.message()).isEqualTo("body is larger than 1048576 bytes");
    }

    @Test
    void gzipBodyOneByteOverTheCapIsTooLarge() throws Exception {
        server.enqueue(gzipResponse(gzip(new byte[ONE_MIB + 1])));

        Failure failure = failure(fetcher.fetch(uri("/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.TOO_LARGE);
        assertThat(failure.message()).isEqualTo("body is larger than 1048576 bytes after gunzip");
    }

    @Test
    void gzipBombIsStoppedAtTheDecompressedCap() throws Exception {
        byte[] bomb = gzip(new byte[256 * ONE_MIB]);
        assertThat(bomb.length).isLessThan(ONE_MIB);
        server.enqueue(gzipResponse(bomb));

        assertThat(failure(fetcher.fetch(uri("/metrics"), SMALL)).kind()).isEqualTo(FailureKind.TOO_LARGE);
    }

    @Test
    void declaredContentLengthOverTheCapFailsBeforeAnyBodyArrives() throws Exception {
        RawSocketServer raw = raw((in, out) -> {
            RawSocketServer.readRequestHead(in);
            RawSocketServer.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n");
            Thread.sleep(TimeUnit.SECONDS.toMillis(HANG_GUARD_SECONDS));
        });

        Failure failure = failure(fetcher.fetch(raw.uri("/metrics"), longTimeout()));

        assertThat(failure.kind()).isEqualTo(FailureKind.TOO_LARGE);
        assertThat(failure.message()).contains("Content-Length 1073741824");
    }

    @Test
    void endlessBodyIsCutOffAtTheCapAndTheConnectionDropped() throws Exception {
        RawSocketServer raw = raw((in, out) -> {
            RawSocketServer.readRequestHead(in);
            RawSocketServer.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
            byte[] line = "filler_metric 1\n".repeat(1024).getBytes(StandardCharsets.US_ASCII);
            for (long written = 0; written < 4L << 30; written += line.length) {
                out.write(line);
            }
        });

        Failure failure = failure(fetcher.fetch(raw.uri("/metrics"), longTimeout()));

        assertThat(failure.kind()).isEqualTo(FailureKind.TOO_LARGE);
        assertThat(raw.clientHungUp().await(HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                .as("the fetcher closed the connection instead of draining the body").isTrue();
    }

    // ---- time limits ---------------------------------------------------------------------------

    @Test
    void slowDripBodyHitsTheTotalTimeoutAndTheExchangeIsCancelled() throws Exception {
        RawSocketServer raw = raw((in, out) -> {
            RawSocketServer.readRequestHead(in);
            RawSocketServer.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
            for (int i = 0; i < 10 * HANG_GUARD_SECONDS; i++) {
                RawSocketServer.write(out, "x");
                Thread.sleep(100);
            }
        });
        FetchLimits oneSecond = new FetchLimits(ONE_MIB, Duration.ofSeconds(2), Duration.ofSeconds(1));

        Failure failure = failure(fetcher.fetch(raw.uri("/metrics"), oneSecond));

        assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(failure.message()).isEqualTo("no complete response within 1s");
        assertThat(raw.clientHungUp().await(HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                .as("the fetcher closed the connection").isTrue();
    }

    @Test
    void mockWebServerThrottledBodyTimesOut() throws Exception {
        server.enqueue(new MockResponse.Builder().body("a 1\n".repeat(100)).throttleBody(1, 1, TimeUnit.SECONDS).build());

        Failure failure = failure(fetcher.fetch(uri("/metrics"),
                new FetchLimits(ONE_MIB, Duration.ofSeconds(2), Duration.ofMillis(1500))));

        assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(failure.message()).isEqualTo("no complete response within 1s500ms");
    }

    @Test
    void serverThatNeverAnswersTimesOut() throws Exception {
        RawSocketServer raw = raw((in, out) -> Thread.sleep(TimeUnit.SECONDS.toMillis(HANG_GUARD_SECONDS)));

        Failure failure = failure(fetcher.fetch(raw.uri("/metrics"),
                new FetchLimits(ONE_MIB, Duration.ofSeconds(2), Duration.ofMillis(500))));

        assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
    }

    // ---- status codes --------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {301, 302, 303, 307, 308})
    void redirectsAreReportedAndNeverFollowed(int status) throws Exception {
        server.enqueue(new MockResponse.Builder().code(status).setHeader("Location", "http://169.254.169.254/latest").build());
        server.enqueue(new MockResponse.Builder().body("followed 1\n").build());

        Failure failure = failure(fetcher.fetch(uri("/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.REDIRECT);
        assertThat(failure.message()).isEqualTo("redirect " + status + " to 'http://169.254.169.254/latest' not followed");
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 500, 503})
    void non2xxStatusIsReportedWithItsCode(int status) throws Exception {
        server.enqueue(new MockResponse.Builder().code(status).body("error page").build());

        Failure failure = failure(fetcher.fetch(uri("/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.HTTP_STATUS);
        assertThat(failure.message()).startsWith("HTTP status " + status);
    }

    @Test
    void unauthorizedAndForbiddenSayWhatToChange() throws Exception {
        server.enqueue(new MockResponse.Builder().code(401).build());
        server.enqueue(new MockResponse.Builder().code(403).build());

        assertThat(failure(fetcher.fetch(uri("/metrics"), SMALL)).message())
                .isEqualTo("HTTP status 401: the endpoint did not authenticate the request (no bearer token, or one it rejects:"
                        + " see spec.metrics.authorization)");
        assertThat(failure(fetcher.fetch(uri("/metrics"), SMALL)).message())
                .isEqualTo("HTTP status 403: the endpoint authenticated the operator but forbids it (behind kube-rbac-proxy,"
                        + " grant its ServiceAccount get on /metrics: deploy/app-namespace/clusterrole-metrics-reader.yaml)");
        assertThat(ProjectRoot.PATH.resolve(HttpFetcher.METRICS_READER_EXAMPLE)).as("the file the 403 names").exists();
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 422, 503})
    void errorBodiesAreKeptOnlyWhenAsked(int status) throws Exception {
        String json = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"x\"}";
        server.enqueue(new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json").body(json).build());
        server.enqueue(new MockResponse.Builder().code(status).body(json).build());

        FetchResult kept = result(fetcher.fetchKeepingErrorBodies(uri("/api/v1/query"), SMALL));
        Failure dropped = failure(fetcher.fetch(uri("/api/v1/query"), SMALL));

        assertThat(kept).isInstanceOfSatisfying(FetchResult.ErrorResponse.class, error -> {
            assertThat(error.status()).isEqualTo(status);
            assertThat(new String(error.body(), 0, error.length(), StandardCharsets.UTF_8)).isEqualTo(json);
            assertThat(error.contentType()).isEqualTo("application/json");
        });
        assertThat(dropped.kind()).isEqualTo(FailureKind.HTTP_STATUS);
    }

    @Test
    void keptErrorBodiesObeyTheSizeLimitAndRedirectsAreStillRefused() throws Exception {
        server.enqueue(new MockResponse.Builder().code(500).body(new Buffer().write(new byte[ONE_MIB + 1])).build());
        server.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "http://169.254.169.254/").build());

        assertThat(failure(fetcher.fetchKeepingErrorBodies(uri("/api/v1/query"), SMALL)).kind()).isEqualTo(FailureKind.TOO_LARGE);
        assertThat(failure(fetcher.fetchKeepingErrorBodies(uri("/api/v1/query"), SMALL)).kind()).isEqualTo(FailureKind.REDIRECT);
    }

    // ---- encodings -----------------------------------------------------------------------------

    static Stream<Arguments> corruptGzipBodies() throws IOException {
        byte[] valid = gzip(MetricsFixtures.bytes(MetricsFixtures.GO_PROMETHEUS_TEXT));
        byte[] flippedData = valid.clone();
        flippedData[valid.length / 2] ^= 0x5a;
        byte[] wrongCrc = valid.clone();
        wrongCrc[valid.length - 8] ^= 0x01;
        byte[] wrongSize = valid.clone();
        wrongSize[valid.length - 1] ^= 0x01;
        byte[] reservedFlag = valid.clone();
        reservedFlag[3] = (byte) 0x80;
        return Stream.of(
                Arguments.of("flipped deflate data", flippedData),
                Arguments.of("truncated in the data", Arrays.copyOf(valid, valid.length / 2)),
                Arguments.of("truncated in the trailer", Arrays.copyOf(valid, valid.length - 3)),
                Arguments.of("CRC mismatch", wrongCrc),
                Arguments.of("size mismatch", wrongSize),
                Arguments.of("reserved header flag", reservedFlag),
                Arguments.of("not gzip at all", "plain text 1\n".getBytes(StandardCharsets.US_ASCII)),
                Arguments.of("garbage after a valid member", concat(valid, "junk".getBytes(StandardCharsets.US_ASCII))),
                Arguments.of("empty body", new byte[0]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptGzipBodies")
    void corruptGzipIsBadEncoding(String name, byte[] body) throws Exception {
        server.enqueue(gzipResponse(body));

        Failure failure = failure(fetcher.fetch(uri("/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.BAD_ENCODING);
        assertThat(failure.message()).startsWith("invalid gzip body: ");
    }

    @Test
    void unsupportedContentEncodingIsBadEncoding() throws Exception {
        server.enqueue(new MockResponse.Builder().setHeader("Content-Encoding", "br").body("x").build());

        Failure failure = failure(fetcher.fetch(uri("/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.BAD_ENCODING);
        assertThat(failure.message()).isEqualTo("unsupported Content-Encoding 'br'");
    }

    // ---- kept-alive connections ---------------------------------------------------------------

    private static final String KEPT_ALIVE_ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nx 1\n";

    @Test
    void scrapesOfOneTargetReuseOneConnection() throws Exception {
        RawSocketServer raw = raw((in, out) -> {
            while (RawSocketServer.readRequestHead(in)) {
                RawSocketServer.write(out, KEPT_ALIVE_ANSWER);
            }
        });

        for (int scrape = 0; scrape < 10; scrape++) {
            assertThat(new String(bodyOf(success(fetcher.fetch(raw.uri("/metrics"), SMALL))), StandardCharsets.US_ASCII))
                    .isEqualTo("x 1\n");
        }

        assertThat(raw.acceptedConnections()).as("connections accepted for 10 scrapes").isEqualTo(1);
    }

    /**
     * One kept-alive connection carries gzip response after response: bodies of different sizes, an uncompressed one
     * between, and after a response whose gzip broke off midway (which closes its connection) the next connection's
     * responses are whole again.
     */
    @Test
    void gzipResponsesOneAfterAnotherOnAConnectionAreEachInflatedWhole() throws Exception {
        byte[] small = "a 1\n".getBytes(StandardCharsets.US_ASCII);
        byte[] go = MetricsFixtures.bytes(MetricsFixtures.GO_PROMETHEUS_TEXT);
        byte[] jvm = MetricsFixtures.bytes(MetricsFixtures.JVM_OPENMETRICS);
        byte[] goCompressed = gzip(go);
        List<byte[]> answers = List.of(gzipAnswer(go), gzipAnswer(small), plainAnswer(jvm), gzipAnswer(jvm),
                gzipAnswer(goCompressed.length, Arrays.copyOf(goCompressed, goCompressed.length / 2)), gzipAnswer(small), gzipAnswer(go));
        AtomicInteger next = new AtomicInteger();
        RawSocketServer raw = raw((in, out) -> {
            while (RawSocketServer.readRequestHead(in)) {
                out.write(answers.get(next.getAndIncrement()));
                out.flush();
            }
        });
        List<byte[]> expected = List.of(go, small, jvm, jvm);

        for (byte[] body : expected) {
            assertThat(bodyOf(success(fetcher.fetch(raw.uri("/metrics"), SMALL)))).isEqualTo(body);
        }
        Failure broken = failure(fetcher.fetch(raw.uri("/metrics"), new FetchLimits(ONE_MIB, Duration.ofSeconds(2), Duration.ofSeconds(1))));
        assertThat(bodyOf(success(fetcher.fetch(raw.uri("/metrics"), SMALL)))).isEqualTo(small);
        assertThat(bodyOf(success(fetcher.fetch(raw.uri("/metrics"), SMALL)))).isEqualTo(go);

        assertThat(broken.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(raw.acceptedConnections()).as("one connection up to the broken response, one after").isEqualTo(2);
    }

    /** A gzip answer that declares {@code declaredLength} bytes and sends {@code sent}: fewer, and the body breaks off midway. */
    private static byte[] gzipAnswer(int declaredLength, byte[] sent) {
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Encoding: GZip\r\nContent-Length: " + declaredLength + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return concat(head, sent);
    }

    private static byte[] gzipAnswer(byte[] plain) throws IOException {
        byte[] compressed = gzip(plain);
        return gzipAnswer(compressed.length, compressed);
    }

    private static byte[] plainAnswer(byte[] plain) {
        return concat(("HTTP/1.1 200 OK\r\nContent-Length: " + plain.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), plain);
    }

    static Stream<Arguments> serversClosingAfterEachResponse() {
        return Stream.of(
                Arguments.of("says Connection: close", (RawSocketServer.Handler) (in, out) -> {
                    RawSocketServer.readRequestHead(in);
                    RawSocketServer.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nx 1\n");
                }),
                Arguments.of("closes without saying so", (RawSocketServer.Handler) (in, out) -> {
                    RawSocketServer.readRequestHead(in);
                    RawSocketServer.write(out, KEPT_ALIVE_ANSWER);
                }),
                Arguments.of("drops the connection when the next request arrives", (RawSocketServer.Handler) (in, out) -> {
                    RawSocketServer.readRequestHead(in);
                    RawSocketServer.write(out, KEPT_ALIVE_ANSWER);
                    RawSocketServer.readRequestHead(in); // an idle timeout racing the next scrape: closed unanswered
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("serversClosingAfterEachResponse")
    void aServerThatClosesTheConnectionAfterEachResponseIsStillScraped(String name, RawSocketServer.Handler handler) throws Exception {
        RawSocketServer raw = raw(handler);

        for (int scrape = 0; scrape < 10; scrape++) {
            assertThat(new String(bodyOf(success(fetcher.fetch(raw.uri("/metrics"), SMALL))), StandardCharsets.US_ASCII))
                    .isEqualTo("x 1\n");
        }

        assertThat(raw.acceptedConnections()).as("a new connection per scrape").isBetween(10, 19);
    }

    @Test
    void aConnectionThatFailedIsReplaced() throws Exception {
        boolean[] answerWithGarbage = {true};
        RawSocketServer raw = raw((in, out) -> {
            while (RawSocketServer.readRequestHead(in)) {
                RawSocketServer.write(out, answerWithGarbage[0] ? "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nx 1\n"
                        : KEPT_ALIVE_ANSWER);
            }
        });
        assertThat(failure(fetcher.fetch(raw.uri("/metrics"), SMALL)).kind()).isEqualTo(FailureKind.BAD_ENCODING);
        answerWithGarbage[0] = false;

        for (int scrape = 0; scrape < 3; scrape++) {
            success(fetcher.fetch(raw.uri("/metrics"), SMALL));
        }

        assertThat(raw.acceptedConnections()).as("one connection closed with the failure, one kept since").isEqualTo(2);
    }

    // ---- not HTTP ------------------------------------------------------------------------------

    static Stream<Arguments> nonHttpPeers() {
        return Stream.of(
                Arguments.of("SSH banner", (RawSocketServer.Handler) (in, out) ->
                        RawSocketServer.write(out, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")),
                Arguments.of("binary garbage", (RawSocketServer.Handler) (in, out) -> {
                    RawSocketServer.readRequestHead(in);
                    out.write(new byte[] {0, (byte) 0xff, 0x1b, '[', '3', '1', 'm', 7, '\r', '\n', '\r', '\n'});
                }),
                Arguments.of("closes at once", (RawSocketServer.Handler) (in, out) -> { }),
                Arguments.of("closes mid status line", (RawSocketServer.Handler) (in, out) -> {
                    RawSocketServer.readRequestHead(in);
                    RawSocketServer.write(out, "HTTP/1.1 2");
                }),
                Arguments.of("closes mid body", (RawSocketServer.Handler) (in, out) -> {
                    RawSocketServer.readRequestHead(in);
                    RawSocketServer.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nx 1\n");
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonHttpPeers")
    void peersThatDoNotSpeakHttpAreConnectionFailures(String name, RawSocketServer.Handler handler) throws Exception {
        RawSocketServer raw = raw(handler);

        Failure failure = failure(fetcher.fetch(raw.uri("/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.message()).hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES)
                .doesNotContainPattern("\\p{Cntrl}");
    }

    /**
     * An answer that is not HTTP must not leave its socket open (CLOSE_WAIT): one leaked file
     * descriptor per scrape of such a pod. Every failed exchange closes its connection.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("nonHttpPeers")
    void peersThatDoNotSpeakHttpLeakNoSockets(String name, RawSocketServer.Handler handler) throws Exception {
        RawSocketServer raw = raw(handler);
        failure(fetcher.fetch(raw.uri("/metrics"), SMALL));
        long before = openFileDescriptors();

        for (int i = 0; i < 30; i++) {
            Failure failure = failure(fetcher.fetch(raw.uri("/metrics"), SMALL));
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES).doesNotContainPattern("\\p{Cntrl}");
        }

        assertThat(openFileDescriptors() - before).as("file descriptors still open after 30 fetches").isLessThan(5);
    }

    @Test
    void aPeerThatSpeaksHttpAgainIsFetchedNormally() throws Exception {
        boolean[] garbage = {true};
        RawSocketServer raw = raw((in, out) -> {
            RawSocketServer.readRequestHead(in);
            RawSocketServer.write(out, garbage[0] ? "SSH-2.0-OpenSSH_9.2p1\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nx 1\n");
        });
        assertThat(failure(fetcher.fetch(raw.uri("/metrics"), SMALL)).kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure(fetcher.fetch(raw.uri("/metrics"), SMALL)).message()).startsWith("not HTTP: the answer starts with 'SSH-2.0'");

        garbage[0] = false;

        assertThat(new String(bodyOf(success(fetcher.fetch(raw.uri("/metrics"), SMALL))), StandardCharsets.US_ASCII)).isEqualTo("x 1\n");
    }

    private static long openFileDescriptors() {
        return ((com.sun.management.UnixOperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getOpenFileDescriptorCount();
    }

    @Test
    void refusedConnectionIsAConnectionFailure() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }

        Failure failure = failure(fetcher.fetch(URI.create("http://127.0.0.1:" + closedPort + "/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.message()).startsWith("connect failed: ConnectException");
    }

    @Test
    void hostileHeaderTextIsSanitizedInMessages() throws Exception {
        RawSocketServer raw = raw((in, out) -> {
            RawSocketServer.readRequestHead(in);
            RawSocketServer.write(out, "HTTP/1.1 302 Found\r\nLocation: /x\u0085\u009b31m" + "y".repeat(5000)
                    + "\r\nContent-Length: 0\r\n\r\n");
        });

        Failure failure = failure(fetcher.fetch(raw.uri("/metrics"), SMALL));

        assertThat(failure.kind()).isEqualTo(FailureKind.REDIRECT);
        assertThat(failure.message()).startsWith("redirect 302 to '/x  31myyy").endsWith("\u2026' not followed")
                .hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES);
    }

    // ---- concurrency and lifecycle -------------------------------------------------------------

    @Test
    void noMoreThanTheConfiguredNumberOfExchangesRunAtOnce() throws Exception {
        int limit = 3;
        int fetches = 10;
        AtomicInteger inHandler = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger arrived = new AtomicInteger();
        Semaphore answer = new Semaphore(0);
        HttpServer httpServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        ExecutorService serverThreads = Executors.newFixedThreadPool(fetches);
        httpServer.setExecutor(serverThreads);
        httpServer.createContext("/metrics", exchange -> {
            mostAtOnce.accumulateAndGet(inHandler.incrementAndGet(), Math::max);
            arrived.incrementAndGet();
            try {
                answer.acquire();
                byte[] body = "x 1\n".getBytes(StandardCharsets.US_ASCII);
                exchange.sendResponseHeaders(200, body.length);
                inHandler.decrementAndGet();
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        httpServer.start();
        toClose.add(() -> {
            httpServer.stop(0);
            serverThreads.shutdownNow();
        });
        URI uri = URI.create("http://127.0.0.1:" + httpServer.getAddress().getPort() + "/metrics");
        FetchLimits patient = longTimeout();

        try (HttpFetcher limited = new HttpFetcher(limit)) {
            List<CompletableFuture<FetchResult>> results = new ArrayList<>();
            for (int i = 0; i < fetches; i++) {
                results.add(limited.fetch(uri, patient));
            }
            for (int answered = 0; answered < fetches; answered++) {
                int expectedWaiting = Math.min(limit, fetches - answered);
                awaitCondition(() -> arrived.get() - answer.availablePermits() - answeredSoFar(results) >= expectedWaiting
                        || arrived.get() == fetches);
                answer.release();
            }
            for (CompletableFuture<FetchResult> result : results) {
                assertThat(success(result).length()).isEqualTo(4);
            }
        }
        assertThat(mostAtOnce.get()).isEqualTo(limit);
    }

    /**
     * Pods whose SYNs are dropped hold the shared slots for a whole connect timeout only until their first
     * connect timed out; after that they wait for slots of their own, and a healthy pod is fetched at once
     * while they still hang.
     */
    @Test
    void peersWhoseConnectTimedOutNoLongerHoldTheSharedSlots() throws Exception {
        HttpServer healthy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        healthy.createContext("/metrics", exchange -> {
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes(StandardCharsets.US_ASCII));
            exchange.close();
        });
        healthy.start();
        toClose.add(() -> healthy.stop(0));
        List<BlackHoledListener> holes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            holes.add(new BlackHoledListener());
        }
        toClose.add(() -> {
            for (BlackHoledListener hole : holes) {
                hole.close();
            }
        });
        FetchLimits quickConnect = new FetchLimits(ONE_MIB, Duration.ofMillis(300), Duration.ofSeconds(20));
        FetchLimits slowConnect = new FetchLimits(ONE_MIB, Duration.ofSeconds(10), Duration.ofSeconds(20));
        try (HttpFetcher twoSlots = new HttpFetcher(2)) {
            for (BlackHoledListener hole : holes) {
                assertThat(failure(twoSlots.fetch(hole(hole), quickConnect)).message()).startsWith("connect timed out");
            }

            List<CompletableFuture<FetchResult>> hanging = new ArrayList<>();
            for (BlackHoledListener hole : holes) {
                hanging.add(twoSlots.fetch(hole(hole), slowConnect));
            }
            FetchResult answered = twoSlots.fetch(URI.create("http://127.0.0.1:" + healthy.getAddress().getPort() + "/metrics"), slowConnect)
                    .get(5, TimeUnit.SECONDS);

            assertThat(answered).isInstanceOf(Success.class);
            assertThat(hanging).as("the black-holed fetches are still connecting").noneMatch(CompletableFuture::isDone);
        }
    }

    private static URI hole(BlackHoledListener hole) {
        return URI.create("http://127.0.0.1:" + hole.port() + "/metrics");
    }

    @Test
    void fetchWaitingForASlotTimesOutWithItsOwnLimit() throws Exception {
        RawSocketServer raw = raw((in, out) -> Thread.sleep(TimeUnit.SECONDS.toMillis(HANG_GUARD_SECONDS)));
        try (HttpFetcher single = new HttpFetcher(1)) {
            CompletableFuture<FetchResult> blocking = single.fetch(raw.uri("/slow"), longTimeout());

            Failure queued = failure(single.fetch(raw.uri("/metrics"),
                    new FetchLimits(ONE_MIB, Duration.ofSeconds(2), Duration.ofMillis(300))));

            assertThat(queued.kind()).isEqualTo(FailureKind.TIMEOUT);
            assertThat(queued.message()).isEqualTo("no complete response within 300ms (waited for a free fetch slot all that time)");
            assertThat(blocking).isNotDone();
        }
    }

    @Test
    void closingFailsUnfinishedFetchesAndLaterOnes() throws Exception {
        RawSocketServer raw = raw((in, out) -> Thread.sleep(TimeUnit.SECONDS.toMillis(HANG_GUARD_SECONDS)));
        CompletableFuture<FetchResult> unfinished = fetcher.fetch(raw.uri("/metrics"), longTimeout());

        fetcher.close();

        assertThat(failure(unfinished)).extracting(Failure::kind, Failure::message)
                .containsExactly(FailureKind.CONNECTION, "fetcher is closed");
        assertThat(failure(fetcher.fetch(raw.uri("/metrics"), longTimeout())).message()).isEqualTo("fetcher is closed");
    }

    /**
     * A kept-alive connection waits in the pool until its pod's next scrape; with one connection per
     * watched pod, a body kept alive through it would cost one body per pod between scrapes.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aFinishedFetchLeavesNoBodyAliveWhileItsConnectionWaitsInThePool(boolean gzipped) throws Exception {
        byte[] body = MetricsFixtures.bytes(MetricsFixtures.GO_PROMETHEUS_TEXT);
        server.enqueue(gzipped ? gzipResponse(gzip(body)) : new MockResponse.Builder().body(new Buffer().write(body)).build());

        WeakReference<byte[]> fetched = fetchAndForget(uri("/metrics"));

        for (int attempt = 0; attempt < 50 && fetched.get() != null; attempt++) {
            System.gc();
            Thread.sleep(100);
        }
        assertThat(fetched.get()).as("the body of a finished fetch").isNull();
    }

    private WeakReference<byte[]> fetchAndForget(URI target) throws Exception {
        Success success = (Success) fetcher.fetch(target, SMALL).get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        assertThat(success.length()).isPositive();
        return new WeakReference<>(success.body());
    }

    @Test
    void constructorRejectsANonPositiveLimit() {
        assertThatThrownBy(() -> new HttpFetcher(0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static int answeredSoFar(List<CompletableFuture<FetchResult>> results) {
        return (int) results.stream().filter(CompletableFuture::isDone).count();
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_GUARD_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > giveUp) {
                throw new AssertionError("condition not reached within the hang guard");
            }
            Thread.sleep(10);
        }
    }

    private URI uri(String path) {
        return server.url(path).uri();
    }

    private RawSocketServer raw(RawSocketServer.Handler handler) throws IOException {
        RawSocketServer raw = new RawSocketServer(handler);
        toClose.add(raw);
        return raw;
    }

    private static FetchLimits longTimeout() {
        return new FetchLimits(ONE_MIB, Duration.ofSeconds(2), Duration.ofSeconds(HANG_GUARD_SECONDS / 2));
    }

    private static FetchResult result(CompletableFuture<FetchResult> future) throws Exception {
        FetchResult result = future.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        assertThat(future).isCompletedWithValue(result);
        return result;
    }

    private static Success success(CompletableFuture<FetchResult> future) throws Exception {
        return assertThat(result(future)).isInstanceOf(Success.class).asInstanceOf(
                org.assertj.core.api.InstanceOfAssertFactories.type(Success.class)).actual();
    }

    private static Failure failure(CompletableFuture<FetchResult> future) throws Exception {
        FetchResult result = result(future);
        assertThat(result).isInstanceOf(Failure.class);
        Failure failure = (Failure) result;
        assertThat(failure.message()).hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES)
                .doesNotContainPattern("\\p{Cntrl}");
        return failure;
    }

    private static byte[] bodyOf(Success success) {
        return Arrays.copyOf(success.body(), success.length());
    }

    private static MockResponse gzipResponse(byte[] compressed) {
        return new MockResponse.Builder().setHeader("Content-Encoding", "gzip").body(new Buffer().write(compressed)).build();
    }

    static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(compressed)) {
            out.write(plain);
        }
        return compressed.toByteArray();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
