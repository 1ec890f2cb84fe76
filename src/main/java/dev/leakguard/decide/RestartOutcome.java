package dev.leakguard.decide;


/**
 * What the restart door did with one request. {@code rule} is the stable id of the rule that
 * blocked it (see {@link BlockRule}) or null; {@code strategy} is the strategy
 * used or chosen, null when blocked before one was chosen; {@code message} says why, for logs.
 */
public record RestartOutcome(Result result, RestartStrategy strategy, String rule, String message) {

    /** Also the {@code result} label of the action metric. */
    public enum Result {
        done, dry_run, blocked, failed
    }
}
