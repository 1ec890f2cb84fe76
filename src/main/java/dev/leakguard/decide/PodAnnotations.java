package dev.leakguard.decide;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code leakguard.dev/*} annotations leakguard writes on pods. Values are rounded so that a
 * steady pod is not patched at every scrape: only a real change is written.
 */
public final class PodAnnotations {
    public static final String PREFIX = "leakguard.dev/";
    public static final String VERDICT = PREFIX + "verdict";
    public static final String SECONDS_TO_LIMIT = PREFIX + "seconds-to-limit";
    public static final String MEMORY_GROWTH = PREFIX + "memory-growth";
    public static final String TOP_GROUP = PREFIX + "top-group";
    public static final String EVIDENCE = PREFIX + "evidence";
    public static final String EXCLUDE = PREFIX + "exclude";

    private PodAnnotations() {
    }

    public static String verdictLabel(Verdict verdict) {
        return verdict.name().toLowerCase(Locale.ROOT);
    }

    /** The three annotations describing an assessment: verdict, seconds to limit (+Inf when none), growth. */
    public static Map<String, String> describe(Verdict effective, Assessment assessment) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put(VERDICT, verdictLabel(effective));
        if (effective == Verdict.UNKNOWN || effective == Verdict.INSUFFICIENT_DATA) {
            return values;
        }
        values.put(SECONDS_TO_LIMIT, roundedSeconds(assessment.secondsToLimit()));
        values.put(MEMORY_GROWTH, Format.growth(assessment.memoryGrowthBytesPerSecond()));
        return values;
    }

    /** Two significant figures: 8412 → 8400, 73 → 73; a countdown then changes a few times, not every scrape. */
    static String roundedSeconds(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds) || seconds > 1e12) {
            return "+Inf";
        }
        long s = Math.max(0, Math.round(seconds));
        if (s < 100) {
            return Long.toString(s);
        }
        long magnitude = (long) Math.pow(10, Math.floor(Math.log10(s)) - 1);
        return Long.toString(Math.round((double) s / magnitude) * magnitude);
    }
}
