package dev.leakguard.engine;

import java.util.Map;

/** Writes {@code leakguard.dev/*} annotations on a pod. Blocking I/O, called on the engine's action threads. */
public interface AnnotationSink {
    /**
     * Writes the keys of {@code wanted} whose values differ from {@code current}.
     *
     * @return the keys written (empty when nothing changed or the pod is gone)
     */
    Map<String, String> annotate(PodKey pod, Map<String, String> current, Map<String, String> wanted);
}
