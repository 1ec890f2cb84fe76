package dev.leakguard.trend;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go-style durations as users write them in a LeakPolicy: 15s, 30m, 1h30m, 500ms. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

    private Durations() {
    }

    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("duration is empty (expected e.g. 15s, 30m, 1h30m)");
        }
        Matcher m = PART.matcher(text.trim());
        int end = 0;
        double millis = 0;
        while (m.find() && m.start() == end) {
            double value = Double.parseDouble(m.group(1));
            millis += value * switch (m.group(2)) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m" -> 60_000;
                default -> 3_600_000;
            };
            end = m.end();
        }
        if (end == 0 || end != text.trim().length()) {
            throw new IllegalArgumentException("invalid duration '" + text + "' (expected e.g. 15s, 30m, 1h30m)");
        }
        return Duration.ofMillis(Math.round(millis));
    }
}
