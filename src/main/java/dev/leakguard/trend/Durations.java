package dev.leakguard.trend;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in LeakPolicy specs and on the command line: one or more
 * number-and-unit parts, e.g. {@code 15s}, {@code 30m}, {@code 1h30m}, {@code 500ms},
 * {@code 1.5h}, {@code 2d}. Units: ms, s, m, h, d.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    private Durations() {
    }

    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty duration; expected e.g. 15s, 30m or 1h30m");
        }
        String trimmed = text.trim();
        Matcher matcher = PART.matcher(trimmed);
        double millis = 0;
        int position = 0;
        while (position < trimmed.length()) {
            // lookingAt, not find: find would retry from every later position, quadratic on a long run of digits.
            matcher.region(position, trimmed.length());
            if (!matcher.lookingAt()) {
                throw new IllegalArgumentException("invalid duration '" + text
                        + "'; expected number-unit parts with units ms, s, m, h or d, e.g. 15s, 30m or 1h30m");
            }
            millis += Double.parseDouble(matcher.group(1)) * unitMillis(matcher.group(2));
            position = matcher.end();
        }
        return Duration.ofMillis(Math.round(millis));
    }

    /** The shortest spelling of a duration in the same syntax, e.g. {@code PT1H30M} → {@code 1h30m}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        StringBuilder text = new StringBuilder();
        long[] units = {86_400_000, 3_600_000, 60_000, 1000, 1};
        String[] names = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < units.length; i++) {
            if (millis >= units[i]) {
                text.append(millis / units[i]).append(names[i]);
                millis %= units[i];
            }
        }
        return text.toString();
    }

    private static long unitMillis(String unit) {
        return switch (unit) {
            case "ms" -> 1;
            case "s" -> 1000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 86_400_000;
        };
    }
}
