package dev.leakguard.decide;

/**
 * One restart this policy started (or, with {@code dryRun}, would have started). Enough to tell
 * later, from the cluster alone, whether it is still in flight.
 *
 * @param pod          the leaking pod's name
 * @param podUid       its uid (a StatefulSet's replacement has the same name but a new uid)
 * @param workload     the owning workload, "Kind/name": the unit of cooldown and restart loops
 * @param ownerKind    the pod's direct controller kind (a Deployment pod's ReplicaSet), for evictions
 * @param ownerName    the pod's direct controller name
 * @param ownerUid     the pod's direct controller uid
 * @param strategy     how it was restarted
 * @param atMillis     when the restart was requested, on the operator's clock
 * @param readyBefore  Ready pods of the owner (eviction) or workload (rollout) at request time
 * @param restartedAt  the {@code kubectl.kubernetes.io/restartedAt} value written by a rollout restart, else null
 * @param dryRun       only a WouldRestart: counts for the dry run's own cooldown and budget, never in flight
 */
public record LedgerEntry(String pod, String podUid, String workload, String ownerKind, String ownerName, String ownerUid,
                          RestartStrategy strategy, long atMillis, int readyBefore, String restartedAt, boolean dryRun) {
}
