package dev.leakguard.text;

import java.util.ArrayList;
import java.util.List;

/**
 * The one way leakguard puts untrusted text (scraped bodies, profiles, headers, spec values, server
 * error answers) into Events, status, annotations, ConfigMaps and logs: one rule for unsafe
 * characters, one ellipsis, and lengths counted in UTF-8 bytes, as the Kubernetes API counts them.
 *
 * <p>The character rule: control characters and the Unicode line and paragraph separators (U+2028,
 * U+2029, which some viewers break lines at) become spaces, so text can neither forge a line break
 * nor run two words together; format characters (bidi overrides, zero-width joiners), private-use
 * and unassigned code points and unpaired surrogates are dropped, so text cannot reorder or hide
 * part of a message. A cut never splits a character and is marked with {@value #ELLIPSIS}.
 */
public final class BoundedText {
    /** Kubernetes truncates (events.k8s.io: rejects) Event messages beyond this many bytes. */
    public static final int EVENT_MESSAGE_MAX_BYTES = 1024;
    /** The longest error message leakguard puts into a status condition, a failed reading or an exception. */
    public static final int MAX_MESSAGE_BYTES = 300;
    /** How much of an untrusted value a message quotes. */
    static final int MAX_QUOTED_BYTES = 60;
    public static final String ELLIPSIS = "\u2026";
    private static final String ENTRY_SEPARATOR = "; ";

    private BoundedText() {
    }

    /** {@code text} made safe, without surrounding blanks, and cut to at most {@code maxBytes} bytes. */
    public static String bounded(String text, int maxBytes) {
        return fit(text, List.of(), maxBytes);
    }

    /** The text made safe and shortened, in single quotes, blanks kept: for quoting an untrusted value inside a message. */
    public static String quote(String text) {
        return "'" + cutWithEllipsis(clean(text), MAX_QUOTED_BYTES) + "'";
    }

    /**
     * {@code head}, a space, then as many whole {@code entries} as fit, separated by {@code "; "},
     * and {@code "; … and N more"} for the rest; the result is at most {@code maxBytes} bytes.
     * Head and entries are made safe and lose surrounding blanks; empty entries are skipped.
     *
     * <p>When not even the first entry fits whole, it is cut and marked with the ellipsis, since
     * naming the top group partly beats not naming it. When the head alone is too long, the whole
     * message is cut that way.
     */
    public static String fit(String head, List<String> entries, int maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, was " + maxBytes);
        }
        String cleanHead = clean(head).strip();
        List<String> kept = new ArrayList<>(entries.size());
        for (String entry : entries) {
            String cleanEntry = clean(entry).strip();
            if (!cleanEntry.isEmpty()) {
                kept.add(cleanEntry);
            }
        }
        int n = kept.size();

        String all = compose(cleanHead, kept, n);
        if (utf8Length(all) <= maxBytes) {
            return all;
        }
        String best = null;
        for (int count = 1; count < n; count++) {
            String candidate = compose(cleanHead, kept, count);
            if (utf8Length(candidate) > maxBytes) {
                break;
            }
            best = candidate;
        }
        if (best != null) {
            return best;
        }
        if (n > 0) {
            String before = cleanHead.isEmpty() ? "" : cleanHead + " ";
            String after = ELLIPSIS + (n > 1 ? andMore(n - 1) : "");
            int room = maxBytes - utf8Length(before) - utf8Length(after);
            if (room > 0) {
                String cut = cutToBytes(kept.get(0), room);
                if (!cut.isEmpty()) {
                    return before + cut + after;
                }
            }
        }
        return cutWithEllipsis(all, maxBytes);
    }

    /** The number of bytes {@code text} takes in UTF-8 (unpaired surrogates count as Java encodes them: one byte). */
    public static int utf8Length(String text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            bytes += utf8Length(codePoint);
            i += Character.charCount(codePoint);
        }
        return bytes;
    }

    /** The character rule of the class comment; nothing else changes. */
    static String clean(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            switch (Character.getType(codePoint)) {
                case Character.CONTROL, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> out.append(' ');
                case Character.FORMAT, Character.PRIVATE_USE, Character.UNASSIGNED, Character.SURROGATE -> { }
                default -> out.appendCodePoint(codePoint);
            }
        }
        return out.toString();
    }

    private static String compose(String head, List<String> entries, int kept) {
        StringBuilder message = new StringBuilder(head);
        for (int i = 0; i < kept; i++) {
            message.append(i == 0 ? (head.isEmpty() ? "" : " ") : ENTRY_SEPARATOR).append(entries.get(i));
        }
        if (kept < entries.size()) {
            message.append(andMore(entries.size() - kept));
        }
        return message.toString();
    }

    private static String andMore(int count) {
        return ENTRY_SEPARATOR + ELLIPSIS + " and " + count + " more";
    }

    private static String cutWithEllipsis(String text, int maxBytes) {
        if (utf8Length(text) <= maxBytes) {
            return text;
        }
        int ellipsisBytes = utf8Length(ELLIPSIS);
        if (maxBytes < ellipsisBytes) {
            return cutToBytes(text, maxBytes);
        }
        return cutToBytes(text, maxBytes - ellipsisBytes) + ELLIPSIS;
    }

    /** The longest prefix of {@code text} that fits {@code maxBytes}, never splitting a character. */
    private static String cutToBytes(String text, int maxBytes) {
        int bytes = 0;
        int end = 0;
        while (end < text.length()) {
            int codePoint = text.codePointAt(end);
            int size = utf8Length(codePoint);
            if (bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            end += Character.charCount(codePoint);
        }
        return text.substring(0, end);
    }

    private static int utf8Length(int codePoint) {
        if (codePoint < 0x80) {
            return 1;
        }
        if (codePoint < 0x800) {
            return 2;
        }
        if (Character.isSurrogate((char) codePoint)) {
            return 1;
        }
        return codePoint < 0x10000 ? 3 : 4;
    }
}
