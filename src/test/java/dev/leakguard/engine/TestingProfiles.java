package dev.leakguard.engine;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.profile.GroupCounts;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/** Hands out the grouped profiles it was given, one per capture, the last one again when they run out. */
final class TestingProfiles implements ProfileSource {
    private final Deque<GroupCounts> profiles = new ArrayDeque<>();
    private final CallLog log;
    private GroupCounts last;

    TestingProfiles(CallLog log) {
        this.log = log;
    }

    synchronized void serve(GroupCounts groups) {
        profiles.add(groups);
    }

    @Override
    public synchronized CompletableFuture<ProfileSnapshot> capture(ProfileType type, URI uri, ScrapeAccess access) {
        log.add("profile " + uri.getHost());
        if (!profiles.isEmpty()) {
            last = profiles.poll();
        }
        if (last == null) {
            return CompletableFuture.completedFuture(new ProfileSnapshot(null, null, null, 0, "profile connection: refused"));
        }
        byte[] raw = ("profile of " + uri).getBytes(StandardCharsets.UTF_8);
        return CompletableFuture.completedFuture(new ProfileSnapshot(last, null, raw, raw.length, null));
    }
}
