package dev.leakguard.scrape.parse;

/**
 * A goroutine profile or thread dump could not be read: truncated, malformed, too large, or
 * the stream failed. The message names the line and the problem; it is bounded in length and
 * free of control characters, so it can go into logs, Events and status as it is.
 */
public final class ProfileParseException extends Exception {

    private static final int MAX_MESSAGE_CHARS = 300;
    private static final int MAX_EXCERPT_CHARS = 80;

    private final long line;

    public ProfileParseException(String message) {
        this(0, message, null);
    }

    private ProfileParseException(long line, String message, Throwable cause) {
        super(bounded(line > 0 ? "line " + line + ": " + message : message), cause);
        this.line = line;
    }

    /** A problem at {@code line} (1-based; 0 when no line applies). */
    static ProfileParseException at(long line, String problem) {
        return new ProfileParseException(line, problem, null);
    }

    /** A problem at {@code line}, quoting the start of the offending text. */
    static ProfileParseException at(long line, String problem, String offendingText) {
        return new ProfileParseException(line, quoting(problem, offendingText), null);
    }

    /** The problem followed by the start of the offending text, bounded and free of control characters. */
    static String quoting(String problem, String offendingText) {
        return bounded(problem + ": \"" + excerpt(offendingText) + "\"");
    }

    /** A problem at {@code line} caused by {@code cause}. */
    static ProfileParseException at(long line, String problem, Throwable cause) {
        return new ProfileParseException(line, problem, cause);
    }

    /** The 1-based line of the problem, 0 when no line applies. */
    public long line() {
        return line;
    }

    private static String excerpt(String text) {
        return text.length() <= MAX_EXCERPT_CHARS ? text : text.substring(0, MAX_EXCERPT_CHARS) + "…";
    }

    private static String bounded(String message) {
        String cut = message.length() <= MAX_MESSAGE_CHARS ? message : message.substring(0, MAX_MESSAGE_CHARS) + "…";
        StringBuilder clean = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            clean.append(Character.isISOControl(c) || Character.getType(c) == Character.FORMAT ? ' ' : c);
        }
        return clean.toString();
    }
}
