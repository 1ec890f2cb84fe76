package dev.leakguard.engine;

import dev.leakguard.decide.RestartPace;
import dev.leakguard.decide.RestartPlan;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.policy.ActionType;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest prediction of every replica that is heading for its limit, grouped by policy and
 * workload, and the {@link RestartPlan} they make together. Each pod's scrape loop adds its own
 * prediction and reads the plan back; predictions that stop being renewed (a pod gone, a loop
 * stopped) drop out after {@link #STALE_INTERVALS} intervals even if nobody calls {@link #forget}.
 */
public final class WorkloadPlans {
    static final int STALE_INTERVALS = 4;
    /**
     * Each replica is planned to be replaced a third of the horizon (5 min by default) before its
     * pessimistic OOM time: the horizon is how much warning the policy wants, and a replica queued
     * behind others should keep a good part of it.
     */
    static final int MARGIN_SHARE_OF_HORIZON = 3;

    private record Estimate(RestartPlan.Replica replica, long observedAtMillis) {
    }

    private record Group(PolicyKey policy, String workload) {
    }

    private final Map<Group, Map<String, Estimate>> groups = new ConcurrentHashMap<>();
    private final Restarter restarter;
    private final OperatorMetrics metrics;

    public WorkloadPlans(Restarter restarter, OperatorMetrics metrics) {
        this.restarter = restarter;
        this.metrics = metrics;
    }

    /**
     * Records the pod's newest assessment and returns its workload's plan, or null when the pod is in
     * none: it belongs to no controller, its policy only annotates, or it is not heading for a limit.
     */
    public RestartPlan observe(ResolvedPolicy policy, ScrapeTarget target, Assessment assessment, long nowMillis) {
        if (target.workload() == null || policy.restart().type() == ActionType.Annotate) {
            return null;
        }
        Group group = new Group(policy.key(), target.workload());
        boolean heading = (assessment.verdict() == Verdict.SUSPECT || assessment.verdict() == Verdict.LEAKING)
                && Double.isFinite(assessment.secondsToLimit());
        if (!heading) {
            forget(group, target.podUid());
            return null;
        }
        double lower = Double.isFinite(assessment.secondsToLimitLower()) ? assessment.secondsToLimitLower() : assessment.secondsToLimit();
        RestartPlan.Replica replica = new RestartPlan.Replica(target.podUid(), target.pod().name(),
                nowMillis + (long) (assessment.secondsToLimit() * 1000), nowMillis + (long) (lower * 1000));
        Map<String, Estimate> estimates = groups.computeIfAbsent(group, g -> new ConcurrentHashMap<>());
        estimates.put(target.podUid(), new Estimate(replica, nowMillis));
        long staleBefore = nowMillis - policy.interval().toMillis() * STALE_INTERVALS;
        estimates.values().removeIf(e -> e.observedAtMillis() < staleBefore);
        List<RestartPlan.Replica> replicas = estimates.values().stream().map(Estimate::replica).toList();
        RestartPace pace = restarter.pace(policy.ref(), target.workload());
        Duration margin = policy.detection().horizon().dividedBy(MARGIN_SHARE_OF_HORIZON);
        RestartPlan plan = policy.restart().type() == ActionType.RolloutRestart
                ? RestartPlan.wholeWorkload(target.workload(), replicas, pace, margin)
                : RestartPlan.perReplica(target.workload(), replicas, policy.restart().maxConcurrent(), pace, margin);
        metrics.restartPlan(group.policy().namespace(), group.policy().name(), group.workload(),
                (plan.firstStartByMillis() - nowMillis) / 1000.0);
        return plan;
    }

    /** The pod stopped being watched: it leaves its workload's plan. */
    public void forget(PolicyKey policy, ScrapeTarget target) {
        if (target.workload() != null) {
            forget(new Group(policy, target.workload()), target.podUid());
        }
    }

    private void forget(Group group, String podUid) {
        groups.computeIfPresent(group, (g, estimates) -> {
            estimates.remove(podUid);
            if (!estimates.isEmpty()) {
                return estimates;
            }
            metrics.forgetRestartPlan(g.policy().namespace(), g.policy().name(), g.workload());
            return null;
        });
    }
}
