package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.engine.Reading;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.fixtures.PrometheusApiFixtures;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.text.BoundedText;
import dev.leakguard.trend.Sample;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The source against a scripted HTTP server: what each kind of answer becomes, and what is asked.
 * The real-server behaviour is in {@link PrometheusSourceIntegrationTest}; here are the answers a
 * healthy test Prometheus does not give (proxies' error pages, overload, garbage, slowness).
 */
class PrometheusSampleSourceTest {
    private static final FetchLimits LIMITS = new FetchLimits(1 << 20, Duration.ofSeconds(2), Duration.ofSeconds(5));

    private final MockWebServer server = new MockWebServer();
    private HttpFetcher fetcher;
    private PrometheusSampleSource source;

    @BeforeEach
    void start() throws IOException {
        server.start(InetAddress.getLoopbackAddress(), 0);
        fetcher = new HttpFetcher(4);
        source = new PrometheusSampleSource(fetcher, LIMITS, PrometheusPodLabels.defaults());
    }

    @AfterEach
    void stop() {
        fetcher.close();
        server.close();
    }

    static Stream<Arguments> failedAnswers() {
        String error = "{\"status\":\"error\",\"errorType\":\"%s\",\"error\":\"%s\"}";
        return Stream.of(
                Arguments.of("rejected query (captured)", 400, PrometheusApiFixtures.text(PrometheusApiFixtures.ERROR_BAD_REGEX),
                        "bad_query", "answered HTTP 400, bad_data: invalid parameter \"query\": 1:36: parse error: error parsing regexp"),
                Arguments.of("execution error", 422, error.formatted("execution", "vector cannot contain metrics with the same labelset"),
                        "bad_query", "answered HTTP 422, execution: vector cannot contain"),
                Arguments.of("query timeout", 503, error.formatted("timeout", "query timed out in expression evaluation"),
                        "timeout", "answered HTTP 503, timeout: query timed out"),
                Arguments.of("unavailable", 503, error.formatted("unavailable", "TSDB not ready"),
                        "http_status", "answered HTTP 503, unavailable: TSDB not ready"),
                Arguments.of("proxy error page", 502, "<html><body>Bad Gateway</body></html>", "http_status", ": HTTP status 502"),
                Arguments.of("not JSON", 200, "<html>login</html>", "parse_error", "response is not JSON"),
                Arguments.of("error with status 200", 200, error.formatted("bad_data", "odd"), "bad_query", "answered bad_data: odd"),
                Arguments.of("no series (captured)", 200, PrometheusApiFixtures.text(PrometheusApiFixtures.INSTANT_NO_SERIES),
                        "no_data", ": no series matches for app_memory_bytes{namespace=\"shop\",pod=\"checkout-0\"}"),
                Arguments.of("stale series (captured)", 200, PrometheusApiFixtures.text(PrometheusApiFixtures.INSTANT_STALE),
                        "no_data", ": newest sample is 70s old, older than 2 intervals for app_memory_bytes{"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failedAnswers")
    void failedAnswersBecomeLabelledFailures(String name, int status, String body, String result, String message) {
        server.enqueue(new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json").body(body).build());

        Reading.Failed failed = failed(source.read(policy(baseUrl()), PodSeriesQueryTest.target(-1), System.currentTimeMillis()).join());

        assertThat(failed.result()).isEqualTo(result);
        assertThat(failed.message()).startsWith("Prometheus " + baseUrl()).contains(message);
    }

    @Test
    void answerIsTheNewestSample() throws Exception {
        server.enqueue(new MockResponse.Builder().body(PrometheusApiFixtures.text(PrometheusApiFixtures.INSTANT_MEMORY_THREADS)).build());

        Reading reading = source.read(policy(baseUrl() + "/prom/"), PodSeriesQueryTest.target(-1), 0).join();

        assertThat(reading).isInstanceOfSatisfying(Reading.Ok.class,
                ok -> assertThat(ok.sample()).isEqualTo(new Sample(1795717124596L, 309666000, 464, -1, 3)));
        RecordedRequest request = server.takeRequest();
        assertThat(request.getUrl().encodedPath()).isEqualTo("/prom/api/v1/query");
        assertThat(parameters(request)).containsOnlyKeys("query")
                .containsEntry("query", PodSeriesQuery.promql(policy(baseUrl()), PodSeriesQueryTest.target(-1).pod(), PrometheusPodLabels.defaults()));
    }

    @Test
    void historyAsksForTheWindowAtTheIntervalFromTheContainerStart() throws Exception {
        server.enqueue(new MockResponse.Builder().body(PrometheusApiFixtures.text(PrometheusApiFixtures.RANGE_MEMORY_THREADS)).build());
        server.enqueue(new MockResponse.Builder().body(PrometheusApiFixtures.text(PrometheusApiFixtures.RANGE_MEMORY_THREADS)).build());
        long now = 1795717125430L;
        ResolvedPolicy policy = policy(baseUrl());

        List<Sample> whole = source.history(policy, PodSeriesQueryTest.target(-1), now).join();
        List<Sample> sinceStart = source.history(policy, PodSeriesQueryTest.target(now - 60_000), now).join();

        assertThat(whole).hasSizeGreaterThan(100);
        assertThat(parameters(server.takeRequest())).containsEntry("start", "1795716525.43").containsEntry("end", "1795717125.43")
                .containsEntry("step", "5");
        assertThat(sinceStart).isNotEmpty().allSatisfy(s -> assertThat(s.timestampMillis()).isGreaterThanOrEqualTo(now - 60_000));
        assertThat(parameters(server.takeRequest())).containsEntry("start", "1795717065.43");
    }

    @Test
    void historyThatCannotBeReadIsEmpty() {
        server.enqueue(new MockResponse.Builder().code(400).body(PrometheusApiFixtures.text(PrometheusApiFixtures.ERROR_BAD_REGEX)).build());

        assertThat(source.history(policy(baseUrl()), PodSeriesQueryTest.target(-1), System.currentTimeMillis()).join()).isEmpty();
    }

    @Test
    void rangeStepGrowsOnlyWhenTheWindowWouldExceedPrometheusPointLimit() {
        assertThat(PrometheusSampleSource.rangeStepMillis(Duration.ofSeconds(15), Duration.ofMinutes(30))).isEqualTo(15_000);
        assertThat(PrometheusSampleSource.rangeStepMillis(Duration.ofSeconds(1), Duration.ofHours(24))).isEqualTo(7_855);
        assertThat(Duration.ofHours(24).toMillis() / PrometheusSampleSource.rangeStepMillis(Duration.ofSeconds(1), Duration.ofHours(24)))
                .isLessThanOrEqualTo(PrometheusSampleSource.MAX_POINTS_PER_SERIES);
    }

    @Test
    void slowAnswerIsATimeout() {
        server.enqueue(new MockResponse.Builder().body(PrometheusApiFixtures.text(PrometheusApiFixtures.INSTANT_MEMORY_THREADS))
                .headersDelay(3, TimeUnit.SECONDS).build());
        PrometheusSampleSource impatient = new PrometheusSampleSource(fetcher,
                new FetchLimits(1 << 20, Duration.ofSeconds(1), Duration.ofSeconds(1)), PrometheusPodLabels.defaults());

        Reading.Failed failed = failed(impatient.read(policy(baseUrl()), PodSeriesQueryTest.target(-1), 0).join());

        assertThat(failed.result()).isEqualTo("timeout");
    }

    @Test
    void unreachableServerIsAConnectionFailureAndItsPasswordStaysOut() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }

        Reading.Failed failed = failed(source.read(policy("http://leakguard:s3cret@127.0.0.1:" + closed), PodSeriesQueryTest.target(-1), 0).join());

        assertThat(failed.result()).isEqualTo("connection");
        assertThat(failed.message()).startsWith("Prometheus http://127.0.0.1:" + closed + ": connect failed").doesNotContain("s3cret");
    }

    @Test
    void eachPolicyIsAskedAtItsOwnServer() throws IOException {
        try (MockWebServer other = new MockWebServer()) {
            other.start(InetAddress.getLoopbackAddress(), 0);
            server.enqueue(new MockResponse.Builder().body(PrometheusApiFixtures.text(PrometheusApiFixtures.INSTANT_MEMORY_THREADS)).build());
            other.enqueue(new MockResponse.Builder().body(PrometheusApiFixtures.text(PrometheusApiFixtures.INSTANT_NO_SERIES)).build());

            Reading first = source.read(policy(baseUrl()), PodSeriesQueryTest.target(-1), 0).join();
            Reading second = source.read(policy(other.url("/").toString()), PodSeriesQueryTest.target(-1), 0).join();

            assertThat(first).isInstanceOf(Reading.Ok.class);
            assertThat(failed(second).result()).isEqualTo("no_data");
            assertThat(server.getRequestCount()).isEqualTo(1);
            assertThat(other.getRequestCount()).isEqualTo(1);
        }
    }

    private String baseUrl() {
        String url = server.url("/").toString();
        return url.substring(0, url.length() - 1);
    }

    private static ResolvedPolicy policy(String prometheusUrl) {
        ResolvedPolicy template = PodSeriesQueryTest.policy("memory: app_memory_bytes, threads: go_goroutines", "5s");
        return new ResolvedPolicy(template.ref(), template.selector(), template.source(), prometheusUrl, template.port(),
                template.metricsPath(), template.memory(), template.threads(), template.profileType(), template.profilePort(), template.profilePath(),
                template.topGroups(), template.detection(), template.restart(), template.auth());
    }

    private static Reading.Failed failed(Reading reading) {
        assertThat(reading).isInstanceOf(Reading.Failed.class);
        Reading.Failed failed = (Reading.Failed) reading;
        assertThat(failed.message()).hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES).doesNotContainPattern("\\p{Cntrl}");
        return failed;
    }

    private static Map<String, String> parameters(RecordedRequest request) {
        Map<String, String> parameters = new LinkedHashMap<>();
        String query = URI.create(request.getTarget()).getRawQuery();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            parameters.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return parameters;
    }
}
