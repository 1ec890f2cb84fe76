package dev.leakguard.decide;

/** Every reason leakguard writes into a Kubernetes Event; the type is fixed per reason. */
public enum EventReason {
    LeakSuspected(true),
    OOMPredicted(true),
    Evicted(false),
    RolloutRestarted(false),
    WouldRestart(false),
    RestartBlocked(true),
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
