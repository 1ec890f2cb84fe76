package dev.leakguard.decide;

import dev.leakguard.api.ActionSpec;
import dev.leakguard.api.ActionType;
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

    /** {@code cooldown} is the caller's parse of {@link ActionSpec#getCooldown()}. */
    public static RestartSettings from(ActionSpec action, Duration cooldown) {
        return new RestartSettings(
                action.getType() == null ? ActionType.Annotate : action.getType(),
                Boolean.TRUE.equals(action.getDryRun()),
                action.getMaxConcurrent() == null ? 1 : action.getMaxConcurrent(),
                cooldown,
                action.getMaxRestartsPerHour() == null ? 10 : action.getMaxRestartsPerHour(),
                RestartLoopRule.DEFAULT);
    }
}
