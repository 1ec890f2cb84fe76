package dev.leakguard.decide;

import java.util.OptionalLong;

/**
 * Everything the door knows about one restart request, gathered fresh from the cluster.
 *
 * @param excluded                 the pod carries {@code leakguard.dev/exclude: "true"}
 * @param runningAndReady          phase Running and condition Ready=True
 * @param terminating              the pod has a deletionTimestamp
 * @param alreadyRequested         a restart covering this pod is already in flight
 * @param workload                 the pod's controller, for the strategy choice
 * @param inFlight                 restarts of this policy still in flight (replacement not Ready yet)
 * @param lastWorkloadRestartMillis the last restart of the owning workload, if any
 * @param policyRestartsLastHour   restarts this policy started in the last hour
 * @param operatorRestartsLastHour restarts all policies started in the last hour, as the door's copy of the {@link OperatorLedger} shows them
 * @param operatorMaxRestartsPerHour the operator-wide cap (a command-line flag)
 * @param nowMillis                now, on the operator's clock
 * @param latestStartMillis        the latest start the workload's {@link RestartPlan} gives this replica, if it is in one
 * @param closerReplica            a replica of the same plan that is closer to its limit and could be restarted now, or null
 */
public record RestartFacts(boolean excluded, boolean runningAndReady, boolean terminating, boolean alreadyRequested,
                           WorkloadShape workload, int inFlight, OptionalLong lastWorkloadRestartMillis,
                           int policyRestartsLastHour, int operatorRestartsLastHour, int operatorMaxRestartsPerHour,
                           long nowMillis, OptionalLong latestStartMillis, String closerReplica) {
}
