package dev.leakguard.decide;

import java.time.Duration;
import java.util.Objects;

/**
 * When a restart stops being "in flight": when what replaces the leaking pod is Ready. Judged from
 * the cluster as it is now, so a new leader reaches the same answer as the one that started it.
 */
public final class InFlightRules {
    /**
     * An accepted eviction marks the pod terminating at once. A victim that is still serving this
     * long after the request was never evicted (the operator stopped in between, or the request
     * was refused), so the request no longer holds a concurrency slot.
     */
    public static final Duration STALE_REQUEST = Duration.ofMinutes(2);

    private InFlightRules() {
    }

    /**
     * The cluster as an eviction's in-flight check sees it.
     *
     * @param victimPresent     a pod with the victim's uid still exists
     * @param victimTerminating it has a deletionTimestamp
     * @param ownerExists       the victim's controller still exists
     * @param ownerDesired      the controller's desired replicas, or -1 when it has no such number
     * @param readyOthers       Ready, non-terminating pods of the controller other than the victim
     */
    public record EvictionProgress(boolean victimPresent, boolean victimTerminating, boolean ownerExists,
                                   int ownerDesired, int readyOthers) {
    }

    /**
     * The cluster as a rollout restart's in-flight check sees it.
     *
     * @param workloadExists       the workload still exists
     * @param templateRestartedAt  its pod template's {@code kubectl.kubernetes.io/restartedAt} now
     * @param desired              its desired replicas, or -1 when it has no such number (DaemonSet)
     * @param pods                 its non-terminating pods
     * @param readyOnNewTemplate   of those, the Ready ones carrying this rollout's restartedAt
     */
    public record RolloutProgress(boolean workloadExists, String templateRestartedAt, int desired, int pods,
                                  int readyOnNewTemplate) {
    }

    public static boolean evictionInFlight(LedgerEntry entry, EvictionProgress progress, long nowMillis) {
        if (entry.dryRun() || !progress.ownerExists()) {
            return false;
        }
        if (progress.victimPresent() && !progress.victimTerminating()) {
            return nowMillis - entry.atMillis() < STALE_REQUEST.toMillis();
        }
        return progress.readyOthers() < expected(entry.readyBefore(), progress.ownerDesired());
    }

    /**
     * A rollout restart that has not brought a single Ready pod on its new template this long after it was
     * requested is stuck (paused meanwhile, an update strategy changed, pods that never start): like a
     * Deployment's {@code progressDeadlineSeconds} (default 600), after which it is given up. Evictions are
     * never given up this way: their victim is already gone, and freeing the slot of a replacement that never
     * became Ready would let the next eviction take a second pod.
     */
    public static final Duration ROLLOUT_PROGRESS_DEADLINE = Duration.ofMinutes(10);

    /** True when the rollout has shown no progress within {@link #ROLLOUT_PROGRESS_DEADLINE}: it is given up. */
    public static boolean rolloutStalled(LedgerEntry entry, RolloutProgress progress, long nowMillis) {
        return rolloutInFlight(entry, progress) && progress.readyOnNewTemplate() == 0
                && nowMillis - entry.atMillis() >= ROLLOUT_PROGRESS_DEADLINE.toMillis();
    }

    public static boolean rolloutInFlight(LedgerEntry entry, RolloutProgress progress) {
        if (entry.dryRun() || !progress.workloadExists()
                || !Objects.equals(progress.templateRestartedAt(), entry.restartedAt())) {
            return false;
        }
        boolean allReplaced = progress.readyOnNewTemplate() == progress.pods();
        return !(allReplaced && progress.readyOnNewTemplate() >= expected(entry.readyBefore(), progress.desired()));
    }

    /** As many Ready pods as before the restart, unless the workload was scaled down meanwhile. */
    private static int expected(int readyBefore, int desired) {
        return desired < 0 ? readyBefore : Math.min(readyBefore, desired);
    }
}
