package dev.leakguard.decide;

import dev.leakguard.policy.ActionType;
import java.time.Duration;

/**
 * The rules of the one restart door, as a pure function of {@link RestartSettings} and
 * {@link RestartFacts}. Rules are checked in this order and the first that fails is reported:
 * <ol>
 *   <li>{@code excluded} — the pod opted out with {@code leakguard.dev/exclude: "true"};</li>
 *   <li>{@code not-ready} — only a Running and Ready pod is restarted (a pod that is not serving
 *       gains nothing from a graceful restart, and its PDB budget is already spent);</li>
 *   <li>{@code terminating} — the pod is already going away;</li>
 *   <li>{@code already-requested} — a restart covering this pod is in flight;</li>
 *   <li>{@code no-controller} — see the strategy rule below;</li>
 *   <li>{@code max-concurrent} — {@code action.maxConcurrent} restarts of this policy are in flight;</li>
 *   <li>{@code plan-order} — another replica of the workload's {@link RestartPlan} is closer to its limit
 *       and could be restarted now: it goes first;</li>
 *   <li>{@code cooldown} — the owning workload was restarted less than {@code action.cooldown} ago, unless
 *       waiting for the cooldown to end would pass this replica's latest start in the plan: the cooldown
 *       stops restart storms, it must never be what lets a replica be OOM-killed, so it gives way (still
 *       one restart at a time, still through the PodDisruptionBudget) and the decision says so;</li>
 *   <li>{@code policy-budget} — {@code action.maxRestartsPerHour} reached for this policy;</li>
 *   <li>{@code operator-budget} — the operator-wide hourly cap reached ({@link OperatorLedger}).</li>
 * </ol>
 *
 * <p><b>Strategy: the least disruptive restart.</b> The policy's type is used, except:
 * <ul>
 *   <li>{@code Evict} of a pod of a Deployment that has exactly one Ready pod and whose rollout can
 *       surge (RollingUpdate with a maxSurge that rounds up to at least one pod) becomes a
 *       {@code RolloutRestart}: the eviction would leave zero Ready pods, while the rollout starts
 *       the replacement first and stops the leaking pod only once the replacement is Ready.</li>
 *   <li>{@code RolloutRestart} of a pod whose controller has no rollout (a ReplicaSet without a
 *       Deployment, a Job, a custom controller) becomes an {@code Evict}: the controller recreates
 *       the pod, and the eviction still honours its PodDisruptionBudget.</li>
 *   <li>A pod without a controller is never restarted ({@code no-controller}): nothing would
 *       recreate it, so an eviction would turn a future OOM kill into a certain outage.</li>
 *   <li>A {@code RolloutRestart} of a workload that will not roll — a paused Deployment, an
 *       {@code OnDelete} StatefulSet or DaemonSet, a StatefulSet partition above the pod's ordinal —
 *       would patch the template and replace nothing, leaving the restart "in flight" forever: it
 *       becomes an {@code Evict} (the controller recreates the pod; its PodDisruptionBudget still
 *       applies), unless the pod is the only Ready one of a workload whose rollout would have
 *       surged (kept it serving until its replacement was Ready): then nothing is done
 *       ({@code wont-roll}, naming the reason). A StatefulSet or DaemonSet rollout takes the pod
 *       down first anyway, so evicting it is no worse.</li>
 * </ul>
 */
public final class RestartRules {
    private static final long HOUR_MILLIS = Duration.ofHours(1).toMillis();

    private RestartRules() {
    }

    public static RestartDecision decide(RestartSettings settings, RestartFacts facts) {
        if (settings.type() == ActionType.Annotate) {
            throw new IllegalArgumentException("the restart door is only asked for Evict or RolloutRestart policies");
        }
        if (facts.excluded()) {
            return RestartDecision.block(BlockRule.EXCLUDED, "the pod opted out with leakguard.dev/exclude=true");
        }
        if (!facts.runningAndReady()) {
            return RestartDecision.block(BlockRule.NOT_READY, "the pod is not Running and Ready");
        }
        if (facts.terminating()) {
            return RestartDecision.block(BlockRule.TERMINATING, "the pod is already terminating");
        }
        if (facts.alreadyRequested()) {
            return RestartDecision.block(BlockRule.ALREADY_REQUESTED, "a restart covering this pod is already in flight");
        }
        if (facts.workload().kind() == WorkloadKind.NONE) {
            return RestartDecision.block(BlockRule.NO_CONTROLLER,
                    "the pod has no controller, so nothing would recreate it after a restart");
        }
        if (facts.inFlight() >= settings.maxConcurrent()) {
            return RestartDecision.block(BlockRule.MAX_CONCURRENT, facts.inFlight() + " restart(s) in flight, maxConcurrent is "
                    + settings.maxConcurrent() + "; waiting for the replacement to become Ready");
        }
        if (facts.closerReplica() != null) {
            return RestartDecision.block(BlockRule.PLAN_ORDER, "replica " + facts.closerReplica()
                    + " is closer to its limit and is restarted first");
        }
        String cooldownWaived = "";
        if (facts.lastWorkloadRestartMillis().isPresent()) {
            long since = facts.nowMillis() - facts.lastWorkloadRestartMillis().getAsLong();
            if (since < settings.cooldown().toMillis()) {
                long cooldownEnds = facts.lastWorkloadRestartMillis().getAsLong() + settings.cooldown().toMillis();
                if (facts.latestStartMillis().isEmpty() || facts.latestStartMillis().getAsLong() >= cooldownEnds) {
                    return RestartDecision.block(BlockRule.COOLDOWN, "the workload was restarted " + human(since)
                            + " ago, cooldown is " + human(settings.cooldown().toMillis()));
                }
                cooldownWaived = "; cooldown waived (workload restarted " + human(since) + " ago, cooldown "
                        + human(settings.cooldown().toMillis()) + "): waiting until it ends at " + RestartPlan.clockTime(cooldownEnds)
                        + " would pass " + RestartPlan.clockTime(facts.latestStartMillis().getAsLong())
                        + ", the latest start that replaces this replica before its predicted OOM";
            }
        }
        if (facts.policyRestartsLastHour() >= settings.maxRestartsPerHour()) {
            return RestartDecision.block(BlockRule.POLICY_BUDGET, facts.policyRestartsLastHour()
                    + " restart(s) by this policy in the last hour, maxRestartsPerHour is " + settings.maxRestartsPerHour());
        }
        RestartDecision overCap = operatorBudget(facts.operatorRestartsLastHour(), facts.operatorMaxRestartsPerHour());
        if (overCap != null) {
            return overCap;
        }
        RestartStrategy strategy = strategy(settings.type(), facts.workload());
        String wontRoll = facts.workload().wontRoll();
        if (strategy == RestartStrategy.RolloutRestart && wontRoll != null) {
            if (facts.workload().readyPods() <= 1 && facts.workload().canSurge()) {
                return RestartDecision.block(BlockRule.WONT_ROLL, "a rollout restart would replace nothing (" + wontRoll
                        + ") and evicting the workload's only Ready pod would leave nothing serving, where the rollout would have "
                        + "surged");
            }
            return RestartDecision.allow(RestartStrategy.Evict, settings.dryRun(),
                    "eviction instead of rollout restart: " + wontRoll + cooldownWaived);
        }
        return RestartDecision.allow(strategy, settings.dryRun(), reason(settings.type(), strategy, facts.workload()) + cooldownWaived);
    }

    /**
     * The {@code operator-budget} rule alone, or null when a slot is left. The door decides on the copy of the
     * {@link OperatorLedger} it last saw, then checks this again on the ledger as stored when it takes the slot there.
     */
    public static RestartDecision operatorBudget(int operatorRestartsLastHour, int operatorMaxRestartsPerHour) {
        if (operatorRestartsLastHour < operatorMaxRestartsPerHour) {
            return null;
        }
        return RestartDecision.block(BlockRule.OPERATOR_BUDGET, operatorRestartsLastHour
                + " restart(s) operator-wide in the last hour, the operator cap is " + operatorMaxRestartsPerHour);
    }

    /** The strategy rule documented on the class; only meaningful for a pod that has a controller. */
    static RestartStrategy strategy(ActionType type, WorkloadShape workload) {
        if (type == ActionType.Evict) {
            boolean lastReadyPod = workload.kind() == WorkloadKind.DEPLOYMENT && workload.readyPods() == 1;
            return lastReadyPod && workload.canSurge() ? RestartStrategy.RolloutRestart : RestartStrategy.Evict;
        }
        return workload.kind().canRollOut() ? RestartStrategy.RolloutRestart : RestartStrategy.Evict;
    }

    private static String reason(ActionType type, RestartStrategy strategy, WorkloadShape workload) {
        if (type == ActionType.Evict && strategy == RestartStrategy.RolloutRestart) {
            return "rollout restart instead of eviction: it is the Deployment's only Ready pod and the rollout can surge";
        }
        if (type == ActionType.RolloutRestart && strategy == RestartStrategy.Evict) {
            return "eviction instead of rollout restart: the pod's controller (" + workload.kind() + ") has no rollout";
        }
        return strategy == RestartStrategy.Evict ? "eviction" : "rollout restart";
    }

    /** Restarts counted against an hourly budget: those at or after {@code now - 1h}. */
    public static long hourAgo(long nowMillis) {
        return nowMillis - HOUR_MILLIS;
    }

    /** Durations the way people write them in specs: 1h30m, 4m10s, 500ms. */
    static String human(long millis) {
        if (millis < 1000) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        StringBuilder out = new StringBuilder();
        if (seconds >= 3600) {
            out.append(seconds / 3600).append('h');
        }
        if (seconds % 3600 >= 60) {
            out.append(seconds % 3600 / 60).append('m');
        }
        if (seconds % 60 > 0) {
            out.append(seconds % 60).append('s');
        }
        return out.toString();
    }
}
