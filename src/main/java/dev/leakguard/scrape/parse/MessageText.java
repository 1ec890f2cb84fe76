package dev.leakguard.scrape.parse;

/**
 * Makes error text safe to show in Kubernetes status, Events and logs: untrusted bytes from a
 * scraped body or a policy can neither break lines, hide text with control or bidi characters,
 * nor make a message arbitrarily long.
 */
public final class MessageText {

    /** The longest message leakguard puts into a status condition or event. */
    public static final int MAX_MESSAGE_CHARS = 300;
    private static final int MAX_QUOTED_CHARS = 60;
    private static final String ELLIPSIS = "...";

    private MessageText() {
    }

    /** Replaces control and invisible formatting characters by '?' and cuts the text to {@code maxChars}. */
    public static String sanitize(String text, int maxChars) {
        if (text == null) {
            return "";
        }
        boolean tooLong = text.length() > maxChars;
        int keep = tooLong ? Math.max(0, maxChars - ELLIPSIS.length()) : text.length();
        if (keep > 0 && Character.isHighSurrogate(text.charAt(keep - 1))) {
            keep--;
        }
        StringBuilder out = new StringBuilder(keep + ELLIPSIS.length());
        for (int i = 0; i < keep; i++) {
            char c = text.charAt(i);
            out.append(isUnsafe(c) ? '?' : c);
        }
        if (tooLong) {
            out.append(ELLIPSIS);
        }
        return out.toString();
    }

    /** The text, sanitized and shortened, in single quotes: for quoting untrusted input inside a message. */
    public static String quote(String text) {
        return "'" + sanitize(text, MAX_QUOTED_CHARS) + "'";
    }

    private static boolean isUnsafe(char c) {
        if (Character.isISOControl(c)) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.UNASSIGNED
                || type == Character.PRIVATE_USE;
    }
}
