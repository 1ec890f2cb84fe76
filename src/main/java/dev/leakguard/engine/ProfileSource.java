package dev.leakguard.engine;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.scrape.ScrapeAccess;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/** Takes a pod's goroutine profile or thread dump and groups it. */
public interface ProfileSource {
    /** Never completes exceptionally: a failure is a snapshot with an error. {@code access}: the TLS and token of the pod's endpoints. */
    CompletableFuture<ProfileSnapshot> capture(ProfileType type, URI uri, ScrapeAccess access);
}
