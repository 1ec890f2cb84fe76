package dev.leakguard.operator;

import dev.leakguard.engine.ProfileSnapshot;
import dev.leakguard.engine.ProfileSource;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.Grouping;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.scrape.parse.ProfileParseException;
import dev.leakguard.scrape.parse.ProfileParser;
import dev.leakguard.scrape.parse.SkippedRecords;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * Fetches a pod's goroutine profile or thread dump and groups it. The raw bytes are kept with the
 * groups because evidence stores the profile itself, not only its summary. A profile is always asked for gzip,
 * whatever the policy's enableCompression: it is fetched once per suspicion rather than every interval, so
 * compressing it costs the pod little, while a dump is large (up to 32 MiB) and text that shrinks about tenfold.
 */
final class ProfileCollector implements ProfileSource {
    private final HttpFetcher fetcher;
    private final FetchLimits limits;

    ProfileCollector(HttpFetcher fetcher, FetchLimits limits) {
        this.fetcher = fetcher;
        this.limits = limits;
    }

    @Override
    public CompletableFuture<ProfileSnapshot> capture(ProfileType type, URI uri, ScrapeAccess access) {
        return fetcher.fetch(uri, limits, access.withCompression(true)).thenApply(result -> {
            if (result instanceof FetchResult.Failure failure) {
                return new ProfileSnapshot(null, null, null, 0, "profile " + failure.kind().label() + ": " + failure.message());
            }
            FetchResult.Success body = (FetchResult.Success) result;
            Grouping.Sink sink = Grouping.sink(type);
            SkippedRecords skipped;
            try {
                skipped = ProfileParser.of(type).parse(new ByteArrayInputStream(body.body(), 0, body.length()), limits.maxBodyBytes(), sink);
            } catch (ProfileParseException e) {
                return new ProfileSnapshot(null, null, body.body(), body.length(), "profile unreadable: " + e.getMessage());
            }
            return new ProfileSnapshot(sink.counts(), skipped.any() ? skipped.summary() : null, body.body(), body.length(), null);
        });
    }
}
