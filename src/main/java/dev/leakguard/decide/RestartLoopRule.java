package dev.leakguard.decide;

import java.time.Duration;

/**
 * A workload restarted more than {@code threshold} times within {@code window} is in a restart loop:
 * restarts only buy time, somebody has to fix the leak.
 */
public record RestartLoopRule(int threshold, Duration window) {
    public static final RestartLoopRule DEFAULT = new RestartLoopRule(3, Duration.ofHours(1));

    public RestartLoopRule {
        if (threshold < 1 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("restart loop rule needs threshold >= 1 and a positive window");
        }
    }

    public boolean isLoop(int restartsWithinWindow) {
        return restartsWithinWindow > threshold;
    }
}
