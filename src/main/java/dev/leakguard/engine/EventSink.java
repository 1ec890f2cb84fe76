package dev.leakguard.engine;

import dev.leakguard.decide.EventReason;

/** Where the engine's Events go (the operator's one event recorder). Asynchronous: never blocks the loop. */
public interface EventSink {
    void podEvent(ScrapeTarget pod, EventReason reason, String message);

    void policyEvent(PolicyRef policy, EventReason reason, String message);
}
