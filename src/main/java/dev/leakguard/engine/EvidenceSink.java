package dev.leakguard.engine;

import java.time.Instant;

/**
 * Keeps what a restart would destroy: the pod's profile and its last metrics, with a summary.
 * Blocking I/O, called on the engine's action threads before any restart is requested.
 */
public interface EvidenceSink {
    /**
     * @param profile the profile taken when acting, or null when the policy has none
     * @return the name under which the evidence is kept (written into the pod's annotations and Events)
     */
    String store(PolicyRef policy, ScrapeTarget pod, Instant capturedAt, String summary, ProfileSnapshot profile);
}
