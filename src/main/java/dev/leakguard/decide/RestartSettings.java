package dev.leakguard.decide;

import dev.leakguard.policy.ActionType;
import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * A policy's restart settings with defaults applied and durations already parsed, so the rules
 * never parse text. {@code maxRestartsPerHour} of 0 forbids restarts.
 */
public record RestartSettings(ActionType type, boolean dryRun, int maxConcurrent, Duration cooldown,
                              int maxRestartsPerHour, RestartLoopRule loop) {

    public RestartSettings {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(cooldown, "cooldown");
        Objects.requireNonNull(loop, "loop");
        if (maxConcurrent < 1 || maxRestartsPerHour < 0 || cooldown.isNegative()) {
            throw new IllegalArgumentException("need maxConcurrent >= 1, maxRestartsPerHour >= 0 and a non-negative cooldown");
        }
    }

    /** The defaults of a LeakPolicy's {@code spec.action} ({@link Defaults}). */
    public static RestartSettings defaults() {
        return new RestartSettings(Defaults.ACTION_TYPE_VALUE, Defaults.DRY_RUN, Defaults.MAX_CONCURRENT,
                Durations.parse(Defaults.COOLDOWN), Defaults.MAX_RESTARTS_PER_HOUR, RestartLoopRule.DEFAULT);
    }
}
