package dev.leakguard.scrape.parse;

/** Bounds that keep profile parsing's memory independent of the profile's size. */
final class ProfileLimits {

    /** The longest line (or JSON string) accepted; real profiles stay far below. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    /**
     * Frames kept per stack. Grouping looks at the top few; Go prints at most 100 per goroutine,
     * and a runaway recursion in a JVM can print thousands, which need not be held.
     */
    static final int MAX_FRAMES_KEPT = 64;

    private ProfileLimits() {
    }
}
