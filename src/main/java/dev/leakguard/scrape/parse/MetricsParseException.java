package dev.leakguard.scrape.parse;

import dev.leakguard.text.BoundedText;

/**
 * A scraped metrics body is not valid Prometheus text or OpenMetrics. The message names the line
 * and the problem, is at most {@link BoundedText#MAX_MESSAGE_BYTES} bytes and has no control
 * characters, so it can go straight into a status condition.
 */
public final class MetricsParseException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int lineNumber;

    public MetricsParseException(int lineNumber, String problem) {
        super(BoundedText.bounded("line " + lineNumber + ": " + problem, BoundedText.MAX_MESSAGE_BYTES));
        this.lineNumber = lineNumber;
    }

    /** The 1-based line of the body where the problem is. */
    public int lineNumber() {
        return lineNumber;
    }
}
