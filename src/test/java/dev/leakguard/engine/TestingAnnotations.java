package dev.leakguard.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A pod's annotations as the API server would keep them; every write is logged. */
final class TestingAnnotations implements AnnotationSink {
    private final Map<PodKey, Map<String, String>> pods = new LinkedHashMap<>();
    private final List<Map<String, String>> writes = new ArrayList<>();
    private final CallLog log;

    TestingAnnotations(CallLog log) {
        this.log = log;
    }

    @Override
    public synchronized Map<String, String> annotate(PodKey pod, Map<String, String> current, Map<String, String> wanted) {
        Map<String, String> changed = new LinkedHashMap<>();
        wanted.forEach((k, v) -> {
            if (current == null || !v.equals(current.get(k))) {
                changed.put(k, v);
            }
        });
        if (!changed.isEmpty()) {
            pods.computeIfAbsent(pod, p -> new LinkedHashMap<>()).putAll(changed);
            writes.add(Map.copyOf(changed));
            log.add("annotate " + pod.name() + " " + changed.keySet());
        }
        return changed;
    }

    synchronized Map<String, String> of(PodKey pod) {
        return Map.copyOf(pods.getOrDefault(pod, Map.of()));
    }

    synchronized List<Map<String, String>> writes() {
        return List.copyOf(writes);
    }
}
