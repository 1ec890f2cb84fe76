package dev.leakguard.decide;

/** Every reason leakguard writes into a Kubernetes Event; the type is fixed per reason. */
public enum EventReason {
    LeakSuspected(true),
    OOMPredicted(true),
    Evicted(false),
    RolloutRestarted(false),
    WouldRestart(false),
    RestartBlocked(true),
    /** The API server shed an eviction (429 without a PodDisruptionBudget cause); leakguard backs off. */
    EvictionThrottled(true),
    /** The pod matches more than one PodDisruptionBudget: the eviction API refuses it until the budgets are fixed. */
    DisruptionBudgetMisconfigured(true),
    /** A restart request failed with an error answer and the cluster shows nothing happened; leakguard backs off. */
    RestartFailed(true),
    /** On the workload: a rollout restart showed no progress within the deadline and no longer holds a slot. */
    RestartGivenUp(true),
    /** On the workload: the order and latest starts of the restarts of its leaking replicas. */
    RestartPlanned(false),
    /** On the workload: the hourly restart budgets cannot cover the restarts its plan needs within the hour. */
    RestartBudgetShort(true),
    RestartLoop(true),
    OOMKillMissed(true),
    InvalidSpec(true);

    private final boolean warning;

    EventReason(boolean warning) {
        this.warning = warning;
    }

    public String type() {
        return warning ? "Warning" : "Normal";
    }
}
