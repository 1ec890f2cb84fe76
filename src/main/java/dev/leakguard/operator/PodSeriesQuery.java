package dev.leakguard.operator;

import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.scrape.parse.PrometheusApiResponse;
import dev.leakguard.scrape.parse.SeriesSelector;
import dev.leakguard.trend.Sample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one PromQL expression leakguard evaluates for a pod, instant or over a range, and how its
 * answer becomes samples.
 *
 * <p>The expression is a union of up to three single-series parts, told apart by the label
 * {@value #SERIES_LABEL}: the memory selector summed (as the pod scraper sums the series it
 * matches), the time of the newest memory sample, and the thread selector summed. The sample time
 * matters because PromQL answers with the last sample of the past five minutes stamped with the
 * evaluation time: without it a pod whose scrapes stopped would look alive, and the same sample
 * read twice would look like two.
 */
final class PodSeriesQuery {
    static final String SERIES_LABEL = "leakguard_series";
    static final String MEMORY = "memory";
    static final String MEMORY_TIME = "memory_time";
    static final String THREADS = "threads";
    /** A sample older than this many intervals at evaluation time is stale. */
    static final int FRESH_INTERVALS = 2;

    private PodSeriesQuery() {
    }

    /** The memory selector as it is queried for {@code pod}; named in messages. */
    static SeriesSelector memorySelector(ResolvedPolicy policy, PodKey pod, PrometheusPodLabels labels) {
        return labels.select(policy.memory(), pod);
    }

    static String promql(ResolvedPolicy policy, PodKey pod, PrometheusPodLabels labels) {
        SeriesSelector memory = memorySelector(policy, pod, labels);
        StringBuilder query = new StringBuilder()
                .append(tagged("sum(" + memory + ")", MEMORY))
                .append(" or ").append(tagged("max(timestamp(" + memory + "))", MEMORY_TIME));
        if (policy.hasThreads()) {
            query.append(" or ").append(tagged("sum(" + labels.select(policy.threads(), pod) + ")", THREADS));
        }
        return query.toString();
    }

    private static String tagged(String expression, String part) {
        return "label_replace(" + expression + ", \"" + SERIES_LABEL + "\", \"" + part + "\", \"\", \"\")";
    }

    /**
     * Samples in an answer, oldest first: one per distinct memory sample time that is fresh at its
     * evaluation time and not older than the container; or, when there is none, why.
     */
    record Extracted(List<Sample> samples, String noDataReason) {
    }

    static Extracted extract(PrometheusApiResponse.Data data, ScrapeTarget target, Duration interval) {
        PrometheusApiResponse.Series memory = data.find(SERIES_LABEL, MEMORY);
        if (memory == null || memory.size() == 0) {
            return new Extracted(List.of(), "no series matches");
        }
        Map<Long, Double> sampleTimes = byEvaluationTime(data.find(SERIES_LABEL, MEMORY_TIME));
        Map<Long, Double> threads = byEvaluationTime(data.find(SERIES_LABEL, THREADS));
        long maxAgeMillis = interval.toMillis() * FRESH_INTERVALS;
        List<Sample> samples = new ArrayList<>(memory.size());
        String reason = null;
        long previous = Long.MIN_VALUE;
        for (int i = 0; i < memory.size(); i++) {
            long evaluatedAt = memory.timestampsMillis()[i];
            Double sampleSeconds = sampleTimes.get(evaluatedAt);
            long sampledAt = sampleSeconds == null ? evaluatedAt : Math.round(sampleSeconds * 1000);
            double bytes = memory.values()[i];
            if (evaluatedAt - sampledAt > maxAgeMillis) {
                reason = "newest sample is " + Duration.ofMillis(evaluatedAt - sampledAt).toSeconds()
                        + "s old, older than " + FRESH_INTERVALS + " intervals";
            } else if (target.containerStartMillis() >= 0 && sampledAt < target.containerStartMillis()) {
                reason = "no sample since the container started";
            } else if (!Double.isFinite(bytes) || bytes < 0) {
                reason = "memory has unusable value " + bytes;
            } else if (sampledAt > previous) {
                double threadCount = threads.getOrDefault(evaluatedAt, Double.NaN);
                samples.add(new Sample(sampledAt, bytes, Double.isFinite(threadCount) && threadCount >= 0 ? threadCount : Double.NaN,
                        target.containerStartMillis(), target.restartCount()));
                previous = sampledAt;
            }
        }
        return new Extracted(samples, samples.isEmpty() ? reason : null);
    }

    private static Map<Long, Double> byEvaluationTime(PrometheusApiResponse.Series series) {
        if (series == null) {
            return Map.of();
        }
        Map<Long, Double> values = new HashMap<>(series.size() * 2);
        for (int i = 0; i < series.size(); i++) {
            values.put(series.timestampsMillis()[i], series.values()[i]);
        }
        return values;
    }
}
