package dev.leakguard.decide;

import java.util.Objects;

/**
 * The door's answer: allowed with a strategy (and whether it is only a dry run), or blocked by
 * the first rule that stopped it. {@code message} is for humans and goes into Events.
 */
public record RestartDecision(BlockRule blockedBy, RestartStrategy strategy, boolean dryRun, String message) {

    public static RestartDecision allow(RestartStrategy strategy, boolean dryRun, String message) {
        return new RestartDecision(null, Objects.requireNonNull(strategy), dryRun, message);
    }

    public static RestartDecision block(BlockRule rule, String message) {
        return new RestartDecision(Objects.requireNonNull(rule), null, false, message);
    }

    public boolean allowed() {
        return blockedBy == null;
    }
}
