package dev.leakguard.scrape.parse;

/**
 * What a parser left out of a profile it otherwise read: goroutines or threads whose block held
 * a line that no runtime prints there (a thread name with a line break, a goroutine whose stack
 * the runtime could not unwind). One such record is dropped and counted instead of losing the
 * whole profile; evidence and status show {@link #summary()} so nobody mistakes the groups for
 * the complete picture.
 *
 * @param count      records dropped
 * @param firstLine  the 1-based line of the first dropped record's problem, 0 when none
 * @param firstProblem what was wrong with it, null when none
 */
public record SkippedRecords(long count, long firstLine, String firstProblem) {

    /** Nothing was skipped. */
    public static final SkippedRecords NONE = new SkippedRecords(0, 0, null);

    public SkippedRecords {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative, was " + count);
        }
    }

    /** Whether any record was skipped. */
    public boolean any() {
        return count > 0;
    }

    /** {@code skipped: 2 records (first at line 47: expected a frame "function(args)")}, or "" when nothing was skipped. */
    public String summary() {
        if (count == 0) {
            return "";
        }
        return "skipped: " + count + (count == 1 ? " record (" : " records (first ") + "at line " + firstLine + ": "
                + firstProblem + ")";
    }
}
