package dev.leakguard.scrape.parse;

/**
 * A scraped metrics body is not valid Prometheus text or OpenMetrics. The message names the line
 * and the problem, is at most {@link MessageText#MAX_MESSAGE_CHARS} characters and has no control
 * characters, so it can go straight into a status condition.
 */
public final class MetricsParseException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int lineNumber;

    public MetricsParseException(int lineNumber, String problem) {
        super(MessageText.sanitize("line " + lineNumber + ": " + problem, MessageText.MAX_MESSAGE_CHARS));
        this.lineNumber = lineNumber;
    }

    /** The 1-based line of the body where the problem is. */
    public int lineNumber() {
        return lineNumber;
    }
}
