package dev.leakguard.act;

import java.nio.charset.StandardCharsets;

/**
 * Text that came from a pod's endpoint ends up in Events, annotations and status. It is treated as
 * hostile: control characters (newlines included, so nobody can forge extra lines) are replaced,
 * and length is bounded in UTF-8 bytes without splitting a character.
 */
public final class Texts {
    private Texts() {
    }

    public static String sanitize(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) || c == '\u2028' || c == '\u2029' ? ' ' : c);
        }
        return out.toString();
    }

    public static String clip(String text, int maxBytes) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= maxBytes) {
            return text;
        }
        String ellipsis = "…";
        int budget = maxBytes - ellipsis.getBytes(StandardCharsets.UTF_8).length;
        int used = 0;
        int end = 0;
        while (end < text.length()) {
            int cp = text.codePointAt(end);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (used + len > budget) {
                break;
            }
            used += len;
            end += Character.charCount(cp);
        }
        return text.substring(0, end) + ellipsis;
    }
}
