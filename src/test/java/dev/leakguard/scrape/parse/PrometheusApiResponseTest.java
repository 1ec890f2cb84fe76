package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.fixtures.PrometheusApiFixtures;
import dev.leakguard.text.BoundedText;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Prometheus HTTP API envelope, on answers captured from Prometheus 2.42 (see
 * {@code CapturePrometheusResponses}) and on hand-written broken ones.
 */
class PrometheusApiResponseTest {

    @Test
    void instantVectorOfTaggedSeries() throws Exception {
        PrometheusApiResponse.Data data = data(PrometheusApiFixtures.INSTANT_MEMORY_THREADS);

        assertThat(data.series()).hasSize(3);
        PrometheusApiResponse.Series memory = data.find("leakguard_series", "memory");
        assertThat(memory.labels()).isEqualTo(Map.of("leakguard_series", "memory"));
        assertThat(memory.timestampsMillis()).containsExactly(1795717125443L);
        assertThat(memory.values()).containsExactly(309666000);
        assertThat(data.find("leakguard_series", "memory_time").values()).containsExactly(1795717124.596);
        assertThat(data.find("leakguard_series", "threads").values()).containsExactly(464);
        assertThat(data.find("leakguard_series", "absent")).isNull();
    }

    @Test
    void instantVectorKeepsEveryLabel() throws Exception {
        PrometheusApiResponse.Data data = data(PrometheusApiFixtures.INSTANT_RAW_SERIES);

        assertThat(data.series()).extracting(s -> s.labels().get("area")).containsExactly("heap", "nonheap");
        assertThat(data.series().get(0).labels()).containsEntry("__name__", "app_memory_bytes")
                .containsEntry("namespace", "shop").containsEntry("pod", "checkout-0").containsEntry("job", "checkout");
    }

    @Test
    void emptyVector() throws Exception {
        assertThat(data(PrometheusApiFixtures.INSTANT_NO_SERIES).series()).isEmpty();
    }

    @Test
    void matrixPointsStayInOrder() throws Exception {
        PrometheusApiResponse.Data data = data(PrometheusApiFixtures.RANGE_MEMORY_THREADS);

        PrometheusApiResponse.Series memory = data.find("leakguard_series", "memory");
        assertThat(memory.size()).isEqualTo(121);
        assertThat(memory.timestampsMillis()[0]).isEqualTo(1795716525430L);
        assertThat(memory.values()[0]).isEqualTo(189800000);
        for (int i = 1; i < memory.size(); i++) {
            assertThat(memory.timestampsMillis()[i] - memory.timestampsMillis()[i - 1]).isEqualTo(5000);
        }
        assertThat(data.find("leakguard_series", "threads").size()).isEqualTo(121);
    }

    @Test
    void errorEnvelope() throws Exception {
        PrometheusApiResponse.Result result = parse(fixture(PrometheusApiFixtures.ERROR_BAD_REGEX));

        assertThat(result).isEqualTo(new PrometheusApiResponse.Error("bad_data",
                "invalid parameter \"query\": 1:36: parse error: error parsing regexp: invalid or unsupported Perl syntax: `(?=`"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specialValues")
    void goFloatSpellings(String text, double expected) throws Exception {
        String json = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1.5,\"" + text + "\"]}]}}";
        PrometheusApiResponse.Series series = ((PrometheusApiResponse.Data) parse(json)).series().get(0);

        assertThat(Double.compare(series.values()[0], expected)).as(text).isZero();
        assertThat(series.timestampsMillis()[0]).isEqualTo(1500);
    }

    static Stream<Arguments> specialValues() {
        return Stream.of(
                Arguments.of("NaN", Double.NaN),
                Arguments.of("+Inf", Double.POSITIVE_INFINITY),
                Arguments.of("-Inf", Double.NEGATIVE_INFINITY),
                Arguments.of("1e+06", 1_000_000.0),
                Arguments.of("-0.25", -0.25));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenBodies")
    void brokenBodiesAreRejectedWithAReason(String name, String body, String reason) {
        assertThatThrownBy(() -> parse(body))
                .isInstanceOf(PrometheusApiException.class)
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES)
                        .doesNotContainPattern("\\p{Cntrl}"));
    }

    static Stream<Arguments> brokenBodies() {
        String vector = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":%s}]}}";
        return Stream.of(
                Arguments.of("html error page", "<html><body>502 Bad Gateway</body></html>", "not JSON"),
                Arguments.of("truncated", "{\"status\":\"success\",\"data\":{\"resu", "not JSON"),
                Arguments.of("empty", "", "not a JSON object"),
                Arguments.of("array", "[1,2]", "not a JSON object"),
                Arguments.of("unknown status", "{\"status\":\"partial\"}", "'partial'"),
                Arguments.of("no result", "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}", "data.result"),
                Arguments.of("scalar", "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"2\"]}}", "neither vector nor matrix"),
                Arguments.of("value as number", vector.formatted("[1,2]"), "not [<seconds>"),
                Arguments.of("value not a pair", vector.formatted("[1]"), "not [<seconds>"),
                Arguments.of("value not a number", vector.formatted("[1,\"lots\"]"), "'lots' is not a number"),
                Arguments.of("Java spelling of infinity", vector.formatted("[1,\"Infinity\"]"), "is not a number"),
                Arguments.of("time out of range", vector.formatted("[1e300,\"1\"]"), "out of range"),
                Arguments.of("control characters", vector.formatted("[1,\"\\u0007\\n\"]"), "is not a number"),
                Arguments.of("matrix without values",
                        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{}}]}}", "no values array"));
    }

    private static PrometheusApiResponse.Data data(String fixture) throws PrometheusApiException {
        return (PrometheusApiResponse.Data) parse(fixture(fixture));
    }

    private static PrometheusApiResponse.Result parse(String body) throws PrometheusApiException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        byte[] padded = java.util.Arrays.copyOf(bytes, bytes.length + 16);
        return PrometheusApiResponse.parse(padded, bytes.length);
    }

    private static String fixture(String name) {
        return PrometheusApiFixtures.text(name);
    }
}
