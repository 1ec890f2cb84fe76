package dev.leakguard.profile;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds messages that fit a byte limit, such as Kubernetes' 1 KiB Event message, without
 * cutting an entry in half: entries that do not fit are summarised as {@code … and N more}.
 */
public final class EventMessages {

    /** Kubernetes truncates (events.k8s.io: rejects) Event messages beyond this many bytes. */
    public static final int EVENT_MESSAGE_MAX_BYTES = 1024;

    private static final String ELLIPSIS = "\u2026";
    private static final String ENTRY_SEPARATOR = "; ";

    private EventMessages() {
    }

    /**
     * {@code head}, a space, then as many whole {@code lines} as fit, separated by {@code "; "},
     * and {@code "; … and N more"} for the rest; the result is at most {@code maxBytes} bytes of
     * UTF-8. Control characters and line separators become spaces and invisible format characters
     * (such as bidi overrides) are dropped, so profile text cannot forge line breaks or reorder the message.
     *
     * <p>When not even the first line fits whole, it is cut at a character boundary and marked
     * with {@code …}, since naming the top group partly beats not naming it. When the head alone
     * is too long, the whole message is cut that way.
     */
    public static String fit(String head, List<String> lines, int maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, was " + maxBytes);
        }
        String cleanHead = clean(head);
        List<String> entries = new ArrayList<>(lines.size());
        for (String line : lines) {
            String entry = clean(line);
            if (!entry.isEmpty()) {
                entries.add(entry);
            }
        }
        int n = entries.size();

        String all = compose(cleanHead, entries, n);
        if (utf8Length(all) <= maxBytes) {
            return all;
        }
        String best = null;
        for (int kept = 1; kept < n; kept++) {
            String candidate = compose(cleanHead, entries, kept);
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
                String cut = cutToBytes(entries.get(0), room);
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

    /**
     * Control characters and the Unicode line and paragraph separators (U+2028, U+2029, which
     * some viewers break lines at) → spaces, format characters (bidi overrides, zero-width
     * joiners) and unpaired surrogates dropped, ends trimmed.
     */
    static String clean(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            int type = Character.getType(codePoint);
            if (type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
                out.append(' ');
            } else if (type != Character.FORMAT && type != Character.SURROGATE) {
                out.appendCodePoint(codePoint);
            }
        }
        return out.toString().strip();
    }
}
