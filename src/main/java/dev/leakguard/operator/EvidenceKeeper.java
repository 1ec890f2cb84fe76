package dev.leakguard.operator;

import dev.leakguard.act.EvidenceStore;
import dev.leakguard.engine.EvidenceSink;
import dev.leakguard.engine.PolicyRef;
import dev.leakguard.engine.ProfileSnapshot;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The engine's evidence, kept: the pod's metrics read once more (the last state before a restart),
 * then profile, metrics and summary stored by the {@link EvidenceStore}.
 */
final class EvidenceKeeper implements EvidenceSink {
    private final HttpFetcher fetcher;
    private final FetchLimits metricsLimits;
    private final EvidenceStore store;

    EvidenceKeeper(HttpFetcher fetcher, FetchLimits metricsLimits, EvidenceStore store) {
        this.fetcher = fetcher;
        this.metricsLimits = metricsLimits;
        this.store = store;
    }

    @Override
    public String store(PolicyRef policy, ScrapeTarget pod, Instant capturedAt, String summary, ProfileSnapshot profile) {
        FetchResult metricsBody = fetcher.fetch(pod.metricsUri(), metricsLimits, pod.access())
                .completeOnTimeout(null, metricsLimits.totalTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS).join();
        byte[] metrics = null;
        int metricsLength = 0;
        if (metricsBody instanceof FetchResult.Success success) {
            metrics = success.body();
            metricsLength = success.length();
        }
        return store.store(policy, pod.pod(), pod.podUid(), capturedAt, summary, profile == null ? null : profile.raw(),
                profile == null ? 0 : profile.length(), metrics, metricsLength);
    }
}
