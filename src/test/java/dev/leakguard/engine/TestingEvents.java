package dev.leakguard.engine;

import dev.leakguard.decide.EventReason;
import java.util.ArrayList;
import java.util.List;

/** Records the Events the engine emits, as "object reason: message". */
final class TestingEvents implements EventSink {
    record Recorded(String object, EventReason reason, String message) {
    }

    private final List<Recorded> recorded = new ArrayList<>();
    private final CallLog log;

    TestingEvents(CallLog log) {
        this.log = log;
    }

    @Override
    public synchronized void podEvent(ScrapeTarget pod, EventReason reason, String message) {
        recorded.add(new Recorded("pod/" + pod.pod().name(), reason, message));
        log.add("event " + reason + " pod/" + pod.pod().name());
    }

    @Override
    public synchronized void policyEvent(PolicyRef policy, EventReason reason, String message) {
        recorded.add(new Recorded("leakpolicy/" + policy.name(), reason, message));
        log.add("event " + reason + " leakpolicy/" + policy.name());
    }

    synchronized List<Recorded> all() {
        return List.copyOf(recorded);
    }

    synchronized List<Recorded> with(EventReason reason) {
        return recorded.stream().filter(r -> r.reason() == reason).toList();
    }
}
