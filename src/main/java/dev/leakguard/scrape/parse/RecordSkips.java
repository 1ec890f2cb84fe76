package dev.leakguard.scrape.parse;

/**
 * Counts the records a parser reads and the ones it skips, and decides when skipping has gone
 * too far: a "profile" whose records are mostly unreadable is not one a runtime printed, and
 * its groups would misrepresent the program, so it fails like any other broken input.
 */
final class RecordSkips {

    private long read;
    private long skipped;
    private long firstLine;
    private String firstProblem;

    /** A record was read and handed to the sink. */
    void read() {
        read++;
    }

    /** A record is dropped because of {@code problem} at {@code line}. */
    void skip(long line, String problem) {
        if (skipped == 0) {
            firstLine = line;
            firstProblem = problem;
        }
        skipped++;
    }

    /**
     * The skipped records, once the profile is read to its end.
     *
     * @throws ProfileParseException when at least half of the records were skipped
     */
    SkippedRecords result(String unitNoun) throws ProfileParseException {
        if (skipped == 0) {
            return SkippedRecords.NONE;
        }
        if (skipped >= read) {
            throw ProfileParseException.at(firstLine, firstProblem + " (" + skipped + " of " + (read + skipped)
                    + " " + unitNoun + " unreadable)");
        }
        return new SkippedRecords(skipped, firstLine, firstProblem);
    }
}
