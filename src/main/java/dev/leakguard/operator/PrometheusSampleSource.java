package dev.leakguard.operator;

import dev.leakguard.engine.Reading;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.scrape.parse.PrometheusApiException;
import dev.leakguard.scrape.parse.PrometheusApiResponse;
import dev.leakguard.text.BoundedText;
import dev.leakguard.trend.Sample;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads pods' series from a Prometheus-compatible HTTP API instead of scraping the pods: an
 * instant query per pod and interval, and one range query over the window when a pod's loop
 * starts, so that a restarted operator decides at once. Each policy names its server (or takes
 * the operator's), so one instance serves any number of servers; it keeps no state of its own.
 *
 * <p>Every problem becomes a {@link Reading.Failed} with a stable result label: the fetcher's
 * ({@code connection}, {@code timeout}, {@code http_status}, …), {@code bad_query} when Prometheus
 * rejects the expression, {@code timeout} when it gives up evaluating it, {@code parse_error} for
 * an answer that is not the API's JSON, and {@code no_data} when the pod has no fresh sample.
 */
final class PrometheusSampleSource implements SampleSource {
    private static final Logger log = LoggerFactory.getLogger(PrometheusSampleSource.class);
    /** Prometheus refuses range queries of more points per series than this. */
    static final long MAX_POINTS_PER_SERIES = 11_000;

    private final HttpFetcher fetcher;
    private final FetchLimits limits;
    private final PrometheusPodLabels labels;

    PrometheusSampleSource(HttpFetcher fetcher, FetchLimits limits, PrometheusPodLabels labels) {
        this.fetcher = fetcher;
        this.limits = limits;
        this.labels = labels;
    }

    @Override
    public CompletableFuture<Reading> read(ResolvedPolicy policy, ScrapeTarget target, long nowMillis) {
        Map<String, String> parameters = Map.of("query", PodSeriesQuery.promql(policy, target.pod(), labels));
        return query(policy.prometheusUrl(), "query", parameters).thenApply(answer -> {
            if (answer instanceof Answered answered) {
                PodSeriesQuery.Extracted extracted = PodSeriesQuery.extract(answered.data(), target, policy.interval());
                if (extracted.samples().isEmpty()) {
                    return failed("no_data", noDataMessage(policy, target, extracted.noDataReason()), answered.elapsedNanos());
                }
                return new Reading.Ok(extracted.samples().get(extracted.samples().size() - 1), answered.elapsedNanos(), System.nanoTime());
            }
            return ((Unanswered) answer).failure();
        });
    }

    /** The window up to now, at the policy's interval (coarser when the window would exceed Prometheus's point limit). */
    @Override
    public CompletableFuture<List<Sample>> history(ResolvedPolicy policy, ScrapeTarget target, long nowMillis) {
        long start = nowMillis - policy.detection().window().toMillis();
        if (target.containerStartMillis() > start) {
            start = target.containerStartMillis();
        }
        if (start >= nowMillis) {
            return CompletableFuture.completedFuture(List.of());
        }
        long stepMillis = rangeStepMillis(policy.interval(), policy.detection().window());
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("query", PodSeriesQuery.promql(policy, target.pod(), labels));
        parameters.put("start", seconds(start));
        parameters.put("end", seconds(nowMillis));
        parameters.put("step", seconds(stepMillis));
        return query(policy.prometheusUrl(), "query_range", parameters).thenApply(answer -> {
            if (answer instanceof Answered answered) {
                PodSeriesQuery.Extracted extracted = PodSeriesQuery.extract(answered.data(), target, policy.interval());
                if (extracted.samples().isEmpty()) {
                    log.info("{}: no history to backfill: {}", target.pod(), noDataMessage(policy, target, extracted.noDataReason()));
                }
                return extracted.samples();
            }
            log.warn("{}: history not backfilled: {}", target.pod(), ((Unanswered) answer).failure().message());
            return List.of();
        });
    }

    /** Server error texts are untrusted: they go to status and Events only sanitized and bounded. */
    private static Reading.Failed failed(String result, String message, long elapsedNanos) {
        return new Reading.Failed(result, BoundedText.bounded(message, BoundedText.MAX_MESSAGE_BYTES), elapsedNanos);
    }

    static long rangeStepMillis(Duration interval, Duration window) {
        long minimum = (window.toMillis() + MAX_POINTS_PER_SERIES - 1) / MAX_POINTS_PER_SERIES;
        return Math.max(interval.toMillis(), minimum);
    }

    /** What a query came back with: the API's data, or a failed reading. */
    private sealed interface Answer permits Answered, Unanswered {
    }

    private record Answered(PrometheusApiResponse.Data data, long elapsedNanos) implements Answer {
    }

    private record Unanswered(Reading.Failed failure) implements Answer {
    }

    /** A query that Prometheus did not answer with data: the failed reading's message says why. */
    static final class QueryFailed extends Exception {
        QueryFailed(Reading.Failed failure) {
            super(failure.message());
        }
    }

    /** One query, waited for: for {@code leakguard analyze}, which has nothing else to do meanwhile. */
    PrometheusApiResponse.Data ask(String baseUrl, String endpoint, Map<String, String> parameters) throws QueryFailed {
        Answer answer = query(baseUrl, endpoint, parameters).join();
        if (answer instanceof Answered answered) {
            return answered.data();
        }
        throw new QueryFailed(((Unanswered) answer).failure());
    }

    private CompletableFuture<Answer> query(String baseUrl, String endpoint, Map<String, String> parameters) {
        String server = displayUrl(baseUrl);
        URI uri;
        try {
            uri = apiUri(baseUrl, endpoint, parameters);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new Unanswered(
                    failed("connection", "Prometheus URL " + server + " is unusable: " + e.getMessage(), 0)));
        }
        return fetcher.fetchKeepingErrorBodies(uri, limits).thenApply(result -> answer(server, result));
    }

    private static Answer answer(String server, FetchResult result) {
        long elapsed = result.elapsed().toNanos();
        if (result instanceof FetchResult.Failure failure) {
            return new Unanswered(failed(failure.kind().label(), "Prometheus " + server + ": " + failure.message(), elapsed));
        }
        if (result instanceof FetchResult.ErrorResponse error) {
            try {
                if (PrometheusApiResponse.parse(error.body(), error.length()) instanceof PrometheusApiResponse.Error reported) {
                    return new Unanswered(rejected(server, "HTTP " + error.status() + ", ", reported, elapsed));
                }
            } catch (PrometheusApiException e) {
                // Not the API's error envelope (a proxy's error page, say): the status is all there is.
            }
            return new Unanswered(failed("http_status", "Prometheus " + server + ": HTTP status " + error.status(), elapsed));
        }
        FetchResult.Success success = (FetchResult.Success) result;
        try {
            PrometheusApiResponse.Result parsed = PrometheusApiResponse.parse(success.body(), success.length());
            if (parsed instanceof PrometheusApiResponse.Error reported) {
                return new Unanswered(rejected(server, "", reported, elapsed));
            }
            return new Answered((PrometheusApiResponse.Data) parsed, elapsed);
        } catch (PrometheusApiException e) {
            return new Unanswered(failed("parse_error", "Prometheus " + server + ": " + e.getMessage(), elapsed));
        }
    }

    /** Prometheus's error types: bad_data and execution are the query's fault, timeout and canceled the server's load. */
    private static Reading.Failed rejected(String server, String status, PrometheusApiResponse.Error error, long elapsed) {
        String result = switch (error.errorType()) {
            case "bad_data", "execution" -> "bad_query";
            case "timeout", "canceled" -> "timeout";
            default -> "http_status";
        };
        return failed(result, "Prometheus " + server + " answered " + status + error.errorType() + ": " + error.error(), elapsed);
    }

    private String noDataMessage(ResolvedPolicy policy, ScrapeTarget target, String reason) {
        return "Prometheus " + displayUrl(policy.prometheusUrl()) + ": " + reason + " for "
                + PodSeriesQuery.memorySelector(policy, target.pod(), labels);
    }

    static URI apiUri(String baseUrl, String endpoint, Map<String, String> parameters) {
        StringBuilder uri = new StringBuilder(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl)
                .append("/api/v1/").append(endpoint);
        char separator = '?';
        for (Map.Entry<String, String> parameter : parameters.entrySet()) {
            uri.append(separator).append(parameter.getKey()).append('=')
                    .append(URLEncoder.encode(parameter.getValue(), StandardCharsets.UTF_8));
            separator = '&';
        }
        return URI.create(uri.toString());
    }

    /** The server for messages: scheme, host, port and path, never user info (which may hold a password). */
    static String displayUrl(String baseUrl) {
        try {
            URI uri = URI.create(baseUrl);
            return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                    + (uri.getRawPath() == null ? "" : uri.getRawPath());
        } catch (IllegalArgumentException e) {
            return "(invalid URL)";
        }
    }

    /** Epoch or duration milliseconds as the API's decimal seconds. */
    static String seconds(long millis) {
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }
}
