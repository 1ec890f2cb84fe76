package dev.leakguard.operator;

import dev.leakguard.profile.GroupCounts;
import dev.leakguard.profile.Grouping;
import dev.leakguard.profile.ProfileType;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.scrape.parse.GoroutineProfileParser;
import dev.leakguard.scrape.parse.JvmThreadDumpParser;
import dev.leakguard.scrape.parse.ProfileParseException;
import dev.leakguard.scrape.parse.SkippedRecords;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * Fetches a pod's goroutine profile or thread dump and groups it. The raw bytes are kept with the
 * groups because evidence stores the profile itself, not only its summary.
 */
final class ProfileCollector {
    private final HttpFetcher fetcher;
    private final FetchLimits limits;

    ProfileCollector(HttpFetcher fetcher, FetchLimits limits) {
        this.fetcher = fetcher;
        this.limits = limits;
    }

    /** A grouped profile with its raw text and the records the parser had to leave out, or why there is none. */
    record Snapshot(GroupCounts groups, SkippedRecords skipped, byte[] raw, int length, String error) {
        boolean ok() {
            return error == null;
        }
    }

    /** Never completes exceptionally. */
    CompletableFuture<Snapshot> capture(ProfileType type, URI uri) {
        return fetcher.fetch(uri, limits).thenApply(result -> {
            if (result instanceof FetchResult.Failure failure) {
                return new Snapshot(null, null, null, 0, "profile " + failure.kind().label() + ": " + failure.message());
            }
            FetchResult.Success body = (FetchResult.Success) result;
            Grouping.Sink sink = Grouping.sink(type);
            SkippedRecords skipped;
            try {
                ByteArrayInputStream in = new ByteArrayInputStream(body.body(), 0, body.length());
                skipped = type == ProfileType.GO
                        ? GoroutineProfileParser.parse(in, limits.maxBodyBytes(), sink)
                        : JvmThreadDumpParser.parse(in, limits.maxBodyBytes(), sink);
            } catch (ProfileParseException e) {
                return new Snapshot(null, null, body.body(), body.length(), "profile unreadable: " + e.getMessage());
            }
            return new Snapshot(sink.counts(), skipped, body.body(), body.length(), null);
        });
    }
}
