package dev.leakguard.operator;

import dev.leakguard.engine.Reading;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.scrape.parse.ExtractedValues;
import dev.leakguard.scrape.parse.MetricsParseException;
import dev.leakguard.scrape.parse.PrometheusTextParser;
import dev.leakguard.scrape.parse.SeriesSelector;
import dev.leakguard.trend.Sample;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Scrapes the pod's own metrics endpoint and extracts only the configured series. */
final class PodMetricsSource implements SampleSource {
    private final HttpFetcher fetcher;
    private final FetchLimits limits;

    PodMetricsSource(HttpFetcher fetcher, FetchLimits limits) {
        this.fetcher = fetcher;
        this.limits = limits;
    }

    @Override
    public CompletableFuture<Reading> read(ResolvedPolicy policy, ScrapeTarget target, long nowMillis) {
        long requestedNanos = System.nanoTime();
        return fetcher.fetch(target.metricsUri(), limits, target.access()).thenApply(result -> {
            if (result instanceof FetchResult.Success success) {
                return toReading(policy, target, success, nowMillis, requestedNanos + success.elapsed().toNanos());
            }
            FetchResult.Failure failure = (FetchResult.Failure) result;
            return new Reading.Failed(failure.kind().label(), failure.message(), failure.elapsed().toNanos());
        });
    }

    static Reading toReading(ResolvedPolicy policy, ScrapeTarget target, FetchResult.Success body, long nowMillis, long receivedNanos) {
        long elapsed = body.elapsed().toNanos();
        List<SeriesSelector> selectors = policy.hasThreads() ? List.of(policy.memory(), policy.threads()) : List.of(policy.memory());
        ExtractedValues values;
        try {
            values = PrometheusTextParser.extract(body.body(), body.length(), selectors);
        } catch (MetricsParseException e) {
            return new Reading.Failed("parse_error", "malformed metrics: " + e.getMessage(), elapsed);
        }
        if (!values.found(0)) {
            return new Reading.Failed("parse_error", "series " + policy.memory() + " not found in " + target.metricsUri().getPath(), elapsed);
        }
        double memory = values.value(0);
        if (!Double.isFinite(memory) || memory < 0) {
            return new Reading.Failed("parse_error", "series " + policy.memory() + " has unusable value " + memory, elapsed);
        }
        double threads = Double.NaN;
        if (policy.hasThreads() && values.found(1) && Double.isFinite(values.value(1)) && values.value(1) >= 0) {
            threads = values.value(1);
        }
        return new Reading.Ok(new Sample(nowMillis, memory, threads, target.containerStartMillis(), target.restartCount()), elapsed, receivedNanos);
    }
}
