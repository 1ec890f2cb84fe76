package dev.leakguard.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link PodActions} that run only when the test says so, keeping the same contract as the real
 * executor: per pod and kind the latest waiting action replaces an older one.
 */
final class TestingPodActions implements PodActions {
    private record Key(PodState pod, Kind kind) {
    }

    private final Map<Key, Runnable> waiting = new LinkedHashMap<>();

    @Override
    public synchronized void submit(PodState pod, Kind kind, Runnable action) {
        waiting.put(new Key(pod, kind), action);
    }

    synchronized int waiting() {
        return waiting.size();
    }

    /** Runs what waits, and what those actions submit, until nothing waits. */
    void runAll() {
        while (true) {
            List<Runnable> batch;
            synchronized (this) {
                if (waiting.isEmpty()) {
                    return;
                }
                batch = new ArrayList<>(waiting.values());
                waiting.clear();
            }
            batch.forEach(Runnable::run);
        }
    }
}
