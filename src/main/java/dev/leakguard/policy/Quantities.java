package dev.leakguard.policy;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities ({@code 512Mi}, {@code 1.5Gi}, {@code 128974848}, {@code 129e6},
 * {@code 129M}, {@code 0.5Ki}), as used by {@code resources.limits.memory} and LeakPolicy fields.
 * Suffixes: binary Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E, or an exponent {@code e}/{@code E}.
 */
public final class Quantities {

    private static final Pattern QUANTITY =
            Pattern.compile("([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\\d+)?");

    private Quantities() {
    }

    /** The value of a quantity, e.g. {@code "1.5Gi"} → 1610612736. */
    public static double parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty quantity; expected e.g. 512Mi, 1Gi or 536870912");
        }
        Matcher matcher = QUANTITY.matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("invalid quantity '" + text
                    + "'; expected a number with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei, k, M, G, T, P, E or an exponent, e.g. 512Mi");
        }
        BigDecimal number = new BigDecimal(matcher.group(1));
        String suffix = matcher.group(2);
        return suffix == null ? number.doubleValue() : number.doubleValue() * multiplier(suffix);
    }

    /** A memory size in bytes; rejects zero, negatives and sub-byte values such as {@code 512m} (milli). */
    public static double parseBytes(String text) {
        double bytes = parse(text);
        if (!(bytes >= 1)) {
            String hint = text.trim().endsWith("m") ? "; 'm' means milli (1/1000), did you mean Mi?" : "";
            throw new IllegalArgumentException("memory quantity '" + text + "' must be at least one byte" + hint);
        }
        return bytes;
    }

    private static double multiplier(String suffix) {
        return switch (suffix) {
            case "Ki" -> 0x1p10;
            case "Mi" -> 0x1p20;
            case "Gi" -> 0x1p30;
            case "Ti" -> 0x1p40;
            case "Pi" -> 0x1p50;
            case "Ei" -> 0x1p60;
            case "n" -> 1e-9;
            case "u" -> 1e-6;
            case "m" -> 1e-3;
            case "k" -> 1e3;
            case "M" -> 1e6;
            case "G" -> 1e9;
            case "T" -> 1e12;
            case "P" -> 1e15;
            case "E" -> 1e18;
            default -> Math.pow(10, Integer.parseInt(suffix.substring(1)));
        };
    }
}
