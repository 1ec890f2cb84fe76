package dev.leakguard.decide;

/**
 * The owning workload as the strategy choice needs it: its kind, how many of its pods are Ready
 * now, and whether its rollout starts a new pod before stopping an old one.
 */
public record WorkloadShape(WorkloadKind kind, int readyPods, boolean canSurge) {
    public static final WorkloadShape NO_CONTROLLER = new WorkloadShape(WorkloadKind.NONE, 0, false);
}
