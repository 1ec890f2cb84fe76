package dev.leakguard.decide;

/**
 * The owning workload as the strategy choice needs it: its kind, how many of its pods are Ready
 * now, whether its rollout starts a new pod before stopping an old one, and why a rollout restart
 * would not replace this pod ({@code wontRoll}: a paused Deployment, an {@code OnDelete} update
 * strategy, a StatefulSet partition above the pod's ordinal), null when it would.
 */
public record WorkloadShape(WorkloadKind kind, int readyPods, boolean canSurge, String wontRoll) {
    public static final WorkloadShape NO_CONTROLLER = new WorkloadShape(WorkloadKind.NONE, 0, false);

    /** A workload whose rollout replaces the pod. */
    public WorkloadShape(WorkloadKind kind, int readyPods, boolean canSurge) {
        this(kind, readyPods, canSurge, null);
    }
}
