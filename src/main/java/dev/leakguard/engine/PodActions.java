package dev.leakguard.engine;

/**
 * Where the loop hands the cluster writes it decided on (annotations, evidence and announcements,
 * restart requests), so that a slow API server never delays a scrape.
 *
 * <p>The contract the pipeline relies on: per pod and kind, the latest action submitted runs (an
 * older one still waiting may be replaced by it — latest wins), actions of one pod and kind never
 * run at the same time, and nothing else is dropped. The pipeline clears its per-pod flags in the
 * action itself, so an action that silently never ran would leave its pod stuck.
 */
public interface PodActions {

    /** What an action does; at most one of each kind per pod is waiting. */
    enum Kind {
        /** Write the pod's {@code leakguard.dev/*} annotations. */
        ANNOTATE,
        /** On the first leaking reading: rank the profile, keep evidence, announce, then ask for the restart. */
        ACT,
        /** Ask the restart door. */
        RESTART
    }

    void submit(PodState pod, Kind kind, Runnable action);
}
