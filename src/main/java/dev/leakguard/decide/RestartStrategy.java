package dev.leakguard.decide;

/** How a leaking pod is restarted; {@link #metricType()} is the {@code type} label of the action metric. */
public enum RestartStrategy {
    /** A policy/v1 Eviction of the one pod: its PodDisruptionBudget and grace period apply. */
    Evict("evict"),
    /** Patch the owning workload's pod template like {@code kubectl rollout restart}. */
    RolloutRestart("rollout_restart");

    private final String metricType;

    RestartStrategy(String metricType) {
        this.metricType = metricType;
    }

    public String metricType() {
        return metricType;
    }
}
