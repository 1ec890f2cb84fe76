package dev.leakguard.api;

/** Regular expressions shared by the CRD schema and the operator's own validation. */
public final class SpecPatterns {
    /** Go-style durations as users write them: 15s, 30m, 1h30m, 500ms (the subset CEL's duration() also reads). */
    public static final String DURATION = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

    private SpecPatterns() {
    }
}
