package dev.leakguard.operator;

import dev.leakguard.engine.LimitSource;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.scrape.parse.PrometheusApiResponse;
import dev.leakguard.scrape.parse.SeriesSelector;
import dev.leakguard.trend.Sample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Past data from a Prometheus-compatible API for {@code leakguard analyze --prometheus-url}: which
 * pods a policy's memory series covers over a time range, each pod's samples read with the very
 * query the operator's Prometheus source runs (so a backtest sees what the operator would have
 * seen), and, where kube-state-metrics is scraped, the pods' real OOM kills and memory limits.
 */
public final class PrometheusHistory implements AutoCloseable {
    private final HttpFetcher fetcher = new HttpFetcher(2);
    private final PrometheusSampleSource source;
    private final PrometheusPodLabels labels;
    private final String url;

    public PrometheusHistory(String url, PrometheusPodLabels labels) {
        this.url = url;
        this.labels = labels;
        this.source = new PrometheusSampleSource(fetcher, new FetchLimits(64L << 20, Duration.ofSeconds(5), Duration.ofSeconds(60)),
                labels);
    }

    /** Prometheus did not answer usefully; the message names the server and the cause. */
    public static final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }
    }

    /**
     * The pods with memory samples between {@code startMillis} and {@code endMillis} in the policy's
     * namespace, narrowed by {@code matchers} (PromQL label matchers such as {@code pod=~"checkout-.*"}, or empty).
     */
    public List<PodKey> pods(ResolvedPolicy policy, String matchers, long startMillis, long endMillis) throws Unavailable {
        String selector = narrowed(policy.memory().withLabel(labels.namespace(), policy.ref().namespace()), matchers);
        String range = Math.max(1, (endMillis - startMillis) / 1000) + "s";
        String promql = "count by (" + labels.namespace() + ", " + labels.pod() + ") (count_over_time(" + selector + "[" + range + "]))";
        List<PodKey> pods = new ArrayList<>();
        for (PrometheusApiResponse.Series series : instant(promql, endMillis).series()) {
            String pod = series.labels().get(labels.pod());
            if (pod != null) {
                pods.add(new PodKey(series.labels().getOrDefault(labels.namespace(), policy.ref().namespace()), pod));
            }
        }
        pods.sort((a, b) -> a.name().compareTo(b.name()));
        return pods;
    }

    /**
     * The pod's samples over the range at the policy's interval, in as many range queries as
     * Prometheus's point limit needs: never a coarser step, which would thin out the floor the detector fits.
     */
    public List<Sample> samples(ResolvedPolicy policy, PodKey pod, long startMillis, long endMillis) throws Unavailable {
        long step = policy.interval().toMillis();
        long chunk = step * (PrometheusSampleSource.MAX_POINTS_PER_SERIES - 1);
        double limit = policy.detection().memoryLimitBytes();
        ScrapeTarget target = new ScrapeTarget(pod, "", "", null, null, limit, Double.isNaN(limit) ? null : LimitSource.POLICY, -1, -1);
        List<Sample> samples = new ArrayList<>();
        for (long from = startMillis; from <= endMillis; from += chunk + step) {
            PrometheusApiResponse.Data data = range(PodSeriesQuery.promql(policy, pod, labels), from, Math.min(endMillis, from + chunk), step);
            for (Sample sample : PodSeriesQuery.extract(data, target, policy.interval()).samples()) {
                if (samples.isEmpty() || sample.timestampMillis() > samples.get(samples.size() - 1).timestampMillis()) {
                    samples.add(sample);
                }
            }
        }
        return samples;
    }

    /**
     * The pod's OOM kills known to kube-state-metrics: each rise of the restart count at which the
     * last termination reason reads OOMKilled. Empty when kube-state-metrics is not scraped.
     */
    public List<Long> oomKills(PodKey pod, long startMillis, long endMillis, Duration interval) throws Unavailable {
        String podMatchers = labels.namespace() + "=\"" + pod.namespace() + "\"," + labels.pod() + "=\"" + pod.name() + "\"";
        long step = Math.max(interval.toMillis(), (endMillis - startMillis) / (PrometheusSampleSource.MAX_POINTS_PER_SERIES - 1) + 1);
        PrometheusApiResponse.Data restarts = range("sum(kube_pod_container_status_restarts_total{" + podMatchers + "})",
                startMillis, endMillis, step);
        PrometheusApiResponse.Data oomReason = range("max(kube_pod_container_status_last_terminated_reason{" + podMatchers
                + ",reason=\"OOMKilled\"})", startMillis, endMillis, step);
        if (restarts.series().isEmpty() || oomReason.series().isEmpty()) {
            return List.of();
        }
        PrometheusApiResponse.Series count = restarts.series().get(0);
        Map<Long, Double> oomAt = new LinkedHashMap<>();
        PrometheusApiResponse.Series reason = oomReason.series().get(0);
        for (int i = 0; i < reason.size(); i++) {
            oomAt.put(reason.timestampsMillis()[i], reason.values()[i]);
        }
        List<Long> kills = new ArrayList<>();
        for (int i = 1; i < count.size(); i++) {
            long at = count.timestampsMillis()[i];
            if (count.values()[i] > count.values()[i - 1] && oomAt.getOrDefault(at, 0.0) >= 1) {
                kills.add(at);
            }
        }
        return kills;
    }

    /** The pod's memory limit as kube-state-metrics last reported it over the range, or NaN. */
    public double memoryLimit(PodKey pod, long startMillis, long endMillis) throws Unavailable {
        String range = Math.max(1, (endMillis - startMillis) / 1000) + "s";
        String promql = "max(max_over_time(kube_pod_container_resource_limits{resource=\"memory\"," + labels.namespace() + "=\""
                + pod.namespace() + "\"," + labels.pod() + "=\"" + pod.name() + "\"}[" + range + "]))";
        List<PrometheusApiResponse.Series> series = instant(promql, endMillis).series();
        return series.isEmpty() || series.get(0).size() == 0 ? Double.NaN : series.get(0).values()[0];
    }

    private static String narrowed(SeriesSelector selector, String matchers) {
        if (matchers == null || matchers.isBlank()) {
            return selector.toString();
        }
        String text = selector.toString();
        String extra = matchers.strip();
        if (extra.startsWith("{") && extra.endsWith("}")) {
            extra = extra.substring(1, extra.length() - 1);
        }
        return text.endsWith("}") ? text.substring(0, text.length() - 1) + "," + extra + "}" : text + "{" + extra + "}";
    }

    private PrometheusApiResponse.Data instant(String promql, long atMillis) throws Unavailable {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("query", promql);
        parameters.put("time", PrometheusSampleSource.seconds(atMillis));
        return ask("query", parameters);
    }

    private PrometheusApiResponse.Data range(String promql, long startMillis, long endMillis, long stepMillis) throws Unavailable {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("query", promql);
        parameters.put("start", PrometheusSampleSource.seconds(startMillis));
        parameters.put("end", PrometheusSampleSource.seconds(endMillis));
        parameters.put("step", PrometheusSampleSource.seconds(stepMillis));
        return ask("query_range", parameters);
    }

    private PrometheusApiResponse.Data ask(String endpoint, Map<String, String> parameters) throws Unavailable {
        try {
            return source.ask(url, endpoint, parameters);
        } catch (PrometheusSampleSource.QueryFailed e) {
            throw new Unavailable(e.getMessage());
        }
    }

    @Override
    public void close() {
        fetcher.close();
    }
}
