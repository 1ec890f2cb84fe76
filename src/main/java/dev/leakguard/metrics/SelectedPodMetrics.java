package dev.leakguard.metrics;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Passes per-pod series on to the operator's metrics only for the pods a {@link PodMetrics}
 * selection names; every other call goes through unchanged, so policy-level and operator-level
 * series are never affected. With {@link PodMetrics#AT_RISK} a pod's series appear when it is
 * judged suspect or leaking and are removed from the registry once it has not been for
 * {@link #AT_RISK_KEPT_FOR}: a recovered or restarted pod stays visible long enough for an alert's
 * {@code for:} and a look at the dashboard, while healthy pods cost no series at all.
 */
public final class SelectedPodMetrics implements OperatorMetrics {
    public static final Duration AT_RISK_KEPT_FOR = Duration.ofHours(1);

    /** How often pods no longer assessed at all (no reading reaches them any more) are checked for expiry. */
    private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);

    private final OperatorMetrics delegate;
    private final Clock clock;
    private final boolean atRiskOnly;
    /** When each exported pod was last judged at risk; pods never at risk are not here. */
    private final Map<PodId, Instant> lastAtRisk = new ConcurrentHashMap<>();
    private volatile Instant nextSweep;

    private record PodId(String namespace, String pod, String policy) {
    }

    private SelectedPodMetrics(OperatorMetrics delegate, Clock clock, boolean atRiskOnly) {
        this.delegate = delegate;
        this.clock = clock;
        this.atRiskOnly = atRiskOnly;
        this.nextSweep = clock.instant().plus(SWEEP_EVERY);
    }

    /** {@code metrics} itself for {@link PodMetrics#ALL}; a filter in front of it otherwise. */
    public static OperatorMetrics of(PodMetrics selection, OperatorMetrics metrics, Clock clock) {
        return switch (selection) {
            case ALL -> metrics;
            case AT_RISK -> new SelectedPodMetrics(metrics, clock, true);
            case NONE -> new SelectedPodMetrics(metrics, clock, false);
        };
    }

    @Override
    public void pod(String namespace, String pod, String policy, Verdict verdict, Assessment assessment) {
        if (!atRiskOnly) {
            return;
        }
        Instant now = clock.instant();
        PodId id = new PodId(namespace, pod, policy);
        boolean atRisk = verdict == Verdict.SUSPECT || verdict == Verdict.LEAKING;
        Instant last = atRisk ? now : lastAtRisk.get(id);
        if (atRisk) {
            lastAtRisk.put(id, now);
        }
        if (last != null && expired(last, now)) {
            forget(id, last);
        } else if (last != null) {
            delegate.pod(namespace, pod, policy, verdict, assessment);
        }
        sweepIfDue(now);
    }

    private static boolean expired(Instant lastAtRisk, Instant now) {
        return lastAtRisk.plus(AT_RISK_KEPT_FOR).isBefore(now);
    }

    /** Removes the pod's series unless it was judged at risk again meanwhile (another thread put a newer instant). */
    private void forget(PodId id, Instant last) {
        if (lastAtRisk.remove(id, last)) {
            delegate.forgetPod(id.namespace(), id.pod(), id.policy());
        }
    }

    private void sweepIfDue(Instant now) {
        Instant due = nextSweep;
        if (now.isBefore(due)) {
            return;
        }
        nextSweep = now.plus(SWEEP_EVERY);
        lastAtRisk.forEach((id, last) -> {
            if (expired(last, now)) {
                forget(id, last);
            }
        });
    }

    @Override
    public void forgetPod(String namespace, String pod, String policy) {
        lastAtRisk.remove(new PodId(namespace, pod, policy));
        delegate.forgetPod(namespace, pod, policy);
    }

    @Override
    public void forgetPolicy(String namespace, String policy) {
        lastAtRisk.keySet().removeIf(id -> id.namespace().equals(namespace) && id.policy().equals(policy));
        delegate.forgetPolicy(namespace, policy);
    }

    @Override
    public void scrape(String namespace, String policy, String result, long durationNanos) {
        delegate.scrape(namespace, policy, result, durationNanos);
    }

    @Override
    public void decision(String namespace, String policy, long durationNanos) {
        delegate.decision(namespace, policy, durationNanos);
    }

    @Override
    public void reconcile(String namespace, String policy, boolean podsListed, long durationNanos) {
        delegate.reconcile(namespace, policy, podsListed, durationNanos);
    }

    @Override
    public void action(String namespace, String policy, String type, String result) {
        delegate.action(namespace, policy, type, result);
    }

    @Override
    public void event(String reason, String type, boolean delivered) {
        delegate.event(reason, type, delivered);
    }

    @Override
    public void oomKillMissed(String namespace, String policy) {
        delegate.oomKillMissed(namespace, policy);
    }

    @Override
    public void restartLoop(String namespace, String policy) {
        delegate.restartLoop(namespace, policy);
    }

    @Override
    public void policy(String namespace, String policy, int watched, int leaking, boolean ready) {
        delegate.policy(namespace, policy, watched, leaking, ready);
    }

    @Override
    public void restartPlan(String namespace, String policy, String workload, double secondsToFirstStart) {
        delegate.restartPlan(namespace, policy, workload, secondsToFirstStart);
    }

    @Override
    public void forgetRestartPlan(String namespace, String policy, String workload) {
        delegate.forgetRestartPlan(namespace, policy, workload);
    }
}
