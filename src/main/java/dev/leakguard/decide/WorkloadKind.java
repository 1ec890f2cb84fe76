package dev.leakguard.decide;

/** What controls a pod, as far as restarting it is concerned. */
public enum WorkloadKind {
    /** No controller owner: nothing would recreate the pod. */
    NONE,
    DEPLOYMENT,
    STATEFUL_SET,
    DAEMON_SET,
    /** A ReplicaSet that no Deployment controls: it recreates pods but has no rollout. */
    REPLICA_SET,
    /** Any other controller (Job, a custom resource …): it recreates pods; there is no template we know how to roll. */
    OTHER;

    public boolean canRollOut() {
        return this == DEPLOYMENT || this == STATEFUL_SET || this == DAEMON_SET;
    }
}
