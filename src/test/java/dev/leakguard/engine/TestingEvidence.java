package dev.leakguard.engine;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Keeps evidence in memory, named like the operator names its ConfigMaps. */
final class TestingEvidence implements EvidenceSink {
    record Kept(PolicyRef policy, ScrapeTarget pod, Instant capturedAt, String summary, ProfileSnapshot profile) {
    }

    private final List<Kept> kept = new ArrayList<>();
    private final CallLog log;

    TestingEvidence(CallLog log) {
        this.log = log;
    }

    @Override
    public synchronized String store(PolicyRef policy, ScrapeTarget pod, Instant capturedAt, String summary, ProfileSnapshot profile) {
        kept.add(new Kept(policy, pod, capturedAt, summary, profile));
        log.add("evidence " + pod.pod().name());
        return "leakguard-evidence-" + pod.pod().name();
    }

    synchronized List<Kept> kept() {
        return List.copyOf(kept);
    }
}
