package dev.leakguard.policy;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in LeakPolicy specs and on the command line: one or more number-and-unit
 * parts, e.g. {@code 15s}, {@code 30m}, {@code 1h30m}, {@code 500ms}, {@code 1.5h}. Units: ms, s,
 * m, h. One rule for every reader: the CRD schema validates with {@link #SYNTAX}, the operator and
 * {@code analyze} parse with the same parts, and both are the subset that CEL's {@code duration()}
 * (Go's {@code time.ParseDuration}) reads, so the CRD's horizon-shorter-than-window rule can compare them.
 * Days are not a unit: Go has none, so {@code 2d} would pass the schema and then break its CEL rule.
 */
public final class Durations {
    private static final String PART = "[0-9]+(\\.[0-9]+)?(ms|s|m|h)";
    /** The CRD schema's pattern for a duration field. */
    public static final String SYNTAX = "^(" + PART + ")+$";
    private static final Pattern PARTS = Pattern.compile(PART);

    private Durations() {
    }

    public static Duration parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty duration; expected e.g. 15s, 30m or 1h30m");
        }
        Matcher matcher = PARTS.matcher(text);
        double millis = 0;
        int position = 0;
        while (position < text.length()) {
            // lookingAt, not find: find would retry from every later position, quadratic on a long run of digits.
            matcher.region(position, text.length());
            if (!matcher.lookingAt()) {
                throw new IllegalArgumentException("invalid duration '" + text
                        + "'; expected number-unit parts with units ms, s, m or h and no spaces, e.g. 15s, 30m or 1h30m");
            }
            String unit = matcher.group(2);
            String number = matcher.group().substring(0, matcher.group().length() - unit.length());
            millis += Double.parseDouble(number) * unitMillis(unit);
            position = matcher.end();
        }
        return Duration.ofMillis(Math.round(millis));
    }

    /**
     * The inverse of {@link #parse}: a duration as the policy would write it, e.g. {@code 45s},
     * {@code 4m10s}, {@code 1h30m}, {@code 250ms}; never Java's ISO form ({@code PT45S}). Exact, so
     * an error message quotes the very value that was set.
     */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        if (duration.isZero()) {
            return "0s";
        }
        long millis = duration.toMillis();
        StringBuilder text = new StringBuilder();
        long hours = millis / 3_600_000;
        long minutes = millis / 60_000 % 60;
        long seconds = millis / 1000 % 60;
        long rest = millis % 1000;
        if (hours > 0) {
            text.append(hours).append('h');
        }
        if (minutes > 0) {
            text.append(minutes).append('m');
        }
        if (seconds > 0) {
            text.append(seconds).append('s');
        }
        if (rest > 0) {
            text.append(rest).append("ms");
        }
        return text.toString();
    }

    private static long unitMillis(String unit) {
        return switch (unit) {
            case "ms" -> 1;
            case "s" -> 1000;
            case "m" -> 60_000;
            default -> 3_600_000;
        };
    }
}
