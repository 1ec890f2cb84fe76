package dev.leakguard.decide;

import java.time.Duration;
import java.util.Objects;

/**
 * How fast one workload can be restarted, learned from its past restarts and kept in the ledger: how
 * long a replacement takes to become Ready after a restart starts, and how many of its pods may be
 * restarted at once under its PodDisruptionBudgets. Until a restart of the workload has been
 * measured the pace is {@link #ASSUMED}: a slow replacement and one pod at a time, so that a plan
 * made before any measurement starts early rather than late.
 *
 * @param replacementReady time from the restart request to the replacement being Ready (a rollout
 *                         restart: to the whole rollout being done)
 * @param budgetAllows     pods the PodDisruptionBudgets allow down at once; {@link Integer#MAX_VALUE} without one
 * @param measuredAtMillis when the last measured restart was requested (restarts after it are not measured yet), or -1
 *                         for the assumed pace
 */
public record RestartPace(Duration replacementReady, int budgetAllows, long measuredAtMillis) {
    /** A replacement that pulls an image and warms up for two minutes: slower than most, so plans start early. */
    public static final Duration ASSUMED_REPLACEMENT = Duration.ofMinutes(2);
    public static final RestartPace ASSUMED = new RestartPace(ASSUMED_REPLACEMENT, 1, -1);

    public RestartPace {
        Objects.requireNonNull(replacementReady, "replacementReady");
        if (replacementReady.isNegative() || budgetAllows < 1) {
            throw new IllegalArgumentException("need a non-negative replacement time and a budget of at least one pod");
        }
    }

    public boolean measured() {
        return measuredAtMillis >= 0;
    }

    /**
     * After one more measured restart. A slower replacement is believed at once; a faster one only
     * halfway, so that a single quick restart (a cached image, an idle node) does not make the next
     * plan start too late.
     */
    public RestartPace measuredAgain(Duration replacement, long restartAtMillis) {
        Duration next = !measured() || replacement.compareTo(replacementReady) >= 0 ? replacement
                : replacementReady.plus(replacement).dividedBy(2);
        return new RestartPace(next, budgetAllows, restartAtMillis);
    }

    public RestartPace withBudgetAllows(int pods) {
        return new RestartPace(replacementReady, Math.max(1, pods), measuredAtMillis);
    }
}
