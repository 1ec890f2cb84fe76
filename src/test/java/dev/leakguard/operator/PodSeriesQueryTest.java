package dev.leakguard.operator;

import dev.leakguard.policy.PrometheusUrlAllowList;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.engine.LimitSource;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.fixtures.PrometheusApiFixtures;
import dev.leakguard.scrape.parse.PrometheusApiException;
import dev.leakguard.scrape.parse.PrometheusApiResponse;
import dev.leakguard.trend.Sample;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The PromQL sent per pod, and the samples made of Prometheus's answers (captured from Prometheus 2.42). */
class PodSeriesQueryTest {
    private static final PodKey POD = new PodKey("shop", "checkout-0");

    static Stream<Arguments> renderings() {
        return Stream.of(
                Arguments.of("memory only", "memory: app_memory_bytes", PrometheusPodLabels.defaults(),
                        "label_replace(sum(app_memory_bytes{namespace=\"shop\",pod=\"checkout-0\"}), \"leakguard_series\", \"memory\", \"\", \"\")"
                                + " or label_replace(max(timestamp(app_memory_bytes{namespace=\"shop\",pod=\"checkout-0\"})), \"leakguard_series\", \"memory_time\", \"\", \"\")"),
                Arguments.of("with threads", "memory: app_memory_bytes, threads: go_goroutines", PrometheusPodLabels.defaults(),
                        "label_replace(sum(app_memory_bytes{namespace=\"shop\",pod=\"checkout-0\"}), \"leakguard_series\", \"memory\", \"\", \"\")"
                                + " or label_replace(max(timestamp(app_memory_bytes{namespace=\"shop\",pod=\"checkout-0\"})), \"leakguard_series\", \"memory_time\", \"\", \"\")"
                                + " or label_replace(sum(go_goroutines{namespace=\"shop\",pod=\"checkout-0\"}), \"leakguard_series\", \"threads\", \"\", \"\")"),
                Arguments.of("selector matchers kept, relabelled names", "memory: 'container_memory_working_set_bytes{container!=\"\",image=~\"x.*\"}'",
                        new PrometheusPodLabels("kubernetes_pod_name", "kubernetes_namespace"),
                        "label_replace(sum(container_memory_working_set_bytes{container!=\"\",image=~\"x.*\",kubernetes_namespace=\"shop\",kubernetes_pod_name=\"checkout-0\"}), \"leakguard_series\", \"memory\", \"\", \"\")"
                                + " or label_replace(max(timestamp(container_memory_working_set_bytes{container!=\"\",image=~\"x.*\",kubernetes_namespace=\"shop\",kubernetes_pod_name=\"checkout-0\"})), \"leakguard_series\", \"memory_time\", \"\", \"\")"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void promqlPerPod(String name, String metrics, PrometheusPodLabels labels, String expected) {
        assertThat(PodSeriesQuery.promql(policy(metrics, "5s"), POD, labels)).isEqualTo(expected);
    }

    @Test
    void labelValuesAreEscapedAsPromQlStrings() {
        String rendered = PodSeriesQuery.promql(policy("memory: 'm{path=\"a\\\\b\\\"c\"}'", "5s"), POD, PrometheusPodLabels.defaults());
        assertThat(rendered).startsWith("label_replace(sum(m{path=\"a\\\\b\\\"c\",namespace=\"shop\",pod=\"checkout-0\"})");
    }

    @Test
    void podLabelNamesMustBeLabelNames() {
        assertThatThrownBy(() -> new PrometheusPodLabels("pod-name", "namespace")).hasMessageContaining("'pod-name' is not a label name");
        assertThatThrownBy(() -> new PrometheusPodLabels("pod", "__name__")).hasMessageContaining("'__name__'");
        assertThatThrownBy(() -> new PrometheusPodLabels("pod", "pod")).hasMessageContaining("must differ");
    }

    @Test
    void instantAnswerIsOneSampleAtItsScrapeTime() throws Exception {
        PodSeriesQuery.Extracted extracted = extract(PrometheusApiFixtures.INSTANT_MEMORY_THREADS, target(-1), Duration.ofSeconds(5));

        assertThat(extracted.noDataReason()).isNull();
        assertThat(extracted.samples()).containsExactly(new Sample(1795717124596L, 309666000, 464, -1, 3));
    }

    @Test
    void sampleOlderThanTwoIntervalsIsNoData() throws Exception {
        PodSeriesQuery.Extracted extracted = extract(PrometheusApiFixtures.INSTANT_STALE, target(-1), Duration.ofSeconds(15));

        assertThat(extracted.samples()).isEmpty();
        assertThat(extracted.noDataReason()).isEqualTo("newest sample is 70s old, older than 2 intervals");
        assertThat(extract(PrometheusApiFixtures.INSTANT_STALE, target(-1), Duration.ofSeconds(40)).samples()).hasSize(1);
    }

    @Test
    void emptyAnswerIsNoData() throws Exception {
        PodSeriesQuery.Extracted extracted = extract(PrometheusApiFixtures.INSTANT_NO_SERIES, target(-1), Duration.ofSeconds(5));

        assertThat(extracted.samples()).isEmpty();
        assertThat(extracted.noDataReason()).isEqualTo("no series matches");
    }

    @Test
    void rangeAnswerBecomesFreshDistinctSamplesOldestFirst() throws Exception {
        PrometheusApiResponse.Data data = data(PrometheusApiFixtures.RANGE_MEMORY_THREADS);
        List<Sample> samples = PodSeriesQuery.extract(data, target(-1), Duration.ofSeconds(5)).samples();

        // 121 evaluations; a few near the end repeat the last preloaded sample while Prometheus had not yet scraped live.
        assertThat(samples).hasSizeBetween(110, 121);
        assertThat(samples).isSortedAccordingTo((a, b) -> Long.compare(a.timestampMillis(), b.timestampMillis()));
        assertThat(samples).extracting(Sample::timestampMillis).doesNotHaveDuplicates();
        assertThat(samples.get(0)).isEqualTo(new Sample(1795716525269L, 189800000, 164, -1, 3));
        assertThat(samples).allSatisfy(s -> assertThat(s.threads()).isBetween(164.0, 464.0));
        long[] evaluations = data.find(PodSeriesQuery.SERIES_LABEL, PodSeriesQuery.MEMORY).timestampsMillis();
        assertThat(samples.get(samples.size() - 1).timestampMillis()).isLessThanOrEqualTo(evaluations[evaluations.length - 1]);
    }

    @Test
    void rangeAnswerKeepsOnlyTheCurrentContainer() throws Exception {
        long started = 1795716800000L;
        List<Sample> samples = extract(PrometheusApiFixtures.RANGE_MEMORY_THREADS, target(started), Duration.ofSeconds(5)).samples();

        assertThat(samples).isNotEmpty().allSatisfy(s -> {
            assertThat(s.timestampMillis()).isGreaterThanOrEqualTo(started);
            assertThat(s.containerStartMillis()).isEqualTo(started);
        });
        assertThat(extract(PrometheusApiFixtures.INSTANT_MEMORY_THREADS, target(1795717125000L), Duration.ofSeconds(5)).noDataReason())
                .isEqualTo("no sample since the container started");
    }

    @Test
    void unusableMemoryValuesAreSkipped() throws Exception {
        String json = """
                {"status":"success","data":{"resultType":"matrix","result":[
                {"metric":{"leakguard_series":"memory"},"values":[[100,"NaN"],[105,"-1"],[110,"5e8"]]},
                {"metric":{"leakguard_series":"memory_time"},"values":[[100,"99"],[105,"104"],[110,"109"]]}]}}
                """;
        PrometheusApiResponse.Data data = (PrometheusApiResponse.Data) PrometheusApiResponse.parse(
                json.getBytes(StandardCharsets.UTF_8), json.length());

        assertThat(PodSeriesQuery.extract(data, target(-1), Duration.ofSeconds(5)).samples())
                .containsExactly(new Sample(109_000, 5e8, Double.NaN, -1, 3));
    }

    private static PodSeriesQuery.Extracted extract(String fixture, ScrapeTarget target, Duration interval) throws PrometheusApiException {
        return PodSeriesQuery.extract(data(fixture), target, interval);
    }

    private static PrometheusApiResponse.Data data(String fixture) throws PrometheusApiException {
        byte[] body = PrometheusApiFixtures.text(fixture).getBytes(StandardCharsets.UTF_8);
        return (PrometheusApiResponse.Data) PrometheusApiResponse.parse(body, body.length);
    }

    static ScrapeTarget target(long containerStartMillis) {
        return new ScrapeTarget(POD, "uid-1", "app", URI.create("http://10.0.0.1:9090/metrics"), null, 512.0 * (1 << 20),
                LimitSource.CONTAINER_SPEC, containerStartMillis, 3);
    }

    static ResolvedPolicy policy(String metricsYaml, String interval) {
        String yaml = """
                apiVersion: leakguard.dev/v1alpha1
                kind: LeakPolicy
                metadata: {name: p, namespace: shop}
                spec:
                  selector: {matchLabels: {app: checkout}}
                  metrics: {source: prometheus, prometheusUrl: 'http://prometheus:9090', port: metrics, interval: %s, %s}
                  detection: {window: 10m, horizon: 5m}
                """.formatted(interval, metricsYaml);
        PolicyResolver.Result result = new PolicyResolver(PrometheusUrlAllowList.of("http://prometheus:9090", List.of())).resolve(Serialization.unmarshal(yaml, LeakPolicy.class));
        assertThat(result).isInstanceOf(PolicyResolver.Valid.class);
        return ((PolicyResolver.Valid) result).policy();
    }
}
