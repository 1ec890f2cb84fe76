package dev.leakguard.decide;

import dev.leakguard.text.Format;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code leakguard.dev/*} annotations on pods: those leakguard writes, and the one users set to
 * opt out. Values are rounded so that a steady pod is not patched at every scrape: only a real
 * change is written.
 */
public final class PodAnnotations {
    public static final String PREFIX = "leakguard.dev/";
    public static final String VERDICT = PREFIX + "verdict";
    public static final String SECONDS_TO_LIMIT = PREFIX + "seconds-to-limit";
    public static final String MEMORY_GROWTH = PREFIX + "memory-growth";
    public static final String EVIDENCE = PREFIX + "evidence";
    /** Set by users: {@code "true"} means never restart this pod. */
    public static final String EXCLUDE = PREFIX + "exclude";
    /** On a pod whose restart leakguard requested: RFC 3339 time on the operator's clock. */
    public static final String RESTART_REQUESTED_AT = PREFIX + "restart-requested-at";
    /** On a pod a dry run would have restarted; separate from the real marker so it never looks in flight. */
    public static final String WOULD_RESTART_AT = PREFIX + "would-restart-at";

    private PodAnnotations() {
    }

    public static String verdictLabel(Verdict verdict) {
        return verdict.name().toLowerCase(Locale.ROOT);
    }

    /** The verdict a {@link #VERDICT} annotation names; null when it names none (absent or written by someone else). */
    public static Verdict verdictOf(String label) {
        for (Verdict verdict : Verdict.values()) {
            if (verdictLabel(verdict).equals(label)) {
                return verdict;
            }
        }
        return null;
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

    /**
     * Whether {@code wanted} should be written over what the pod carries ({@code written}): a new
     * verdict at once; new numbers only once the last write is {@code refreshMillis} old, because a
     * suspect pod's countdown and growth change a little at every scrape and a fleet of them would
     * otherwise patch pods several times a second. A pod leakguard never annotated gets nothing while
     * there is nothing to report (healthy, insufficient data, unknown): the first verdicts of a whole
     * fleet would otherwise be one patch per pod, all within one interval.
     */
    public static boolean shouldWrite(Map<String, String> written, Map<String, String> wanted, long millisSinceLastWrite,
                                      long refreshMillis) {
        String verdict = wanted.get(VERDICT);
        if (staysUnannotated(written, verdict)) {
            return false;
        }
        if (!verdict.equals(written.get(VERDICT))) {
            return true;
        }
        boolean numbersChanged = wanted.entrySet().stream().anyMatch(e -> !e.getValue().equals(written.get(e.getKey())));
        return numbersChanged && millisSinceLastWrite >= refreshMillis;
    }

    /**
     * Whether a pod carrying {@code written} stays without annotations under {@code verdict}: true for
     * a pod never annotated while there is nothing to report. Cheap, so that the fleet's quiet pods
     * skip {@link #describe} at every scrape.
     */
    public static boolean staysUnannotated(Map<String, String> written, Verdict verdict) {
        return staysUnannotated(written, verdictLabel(verdict));
    }

    private static boolean staysUnannotated(Map<String, String> written, String verdict) {
        return !written.containsKey(VERDICT) && QUIET_VERDICTS.contains(verdict);
    }

    private static final Set<String> QUIET_VERDICTS =
            Set.of(verdictLabel(Verdict.HEALTHY), verdictLabel(Verdict.INSUFFICIENT_DATA), verdictLabel(Verdict.UNKNOWN));

    /** What a {@link #SECONDS_TO_LIMIT} annotation says, read back; +Inf when it is absent or unreadable, as when none was predicted. */
    public static double secondsToLimitOf(String text) {
        if (text == null) {
            return Double.POSITIVE_INFINITY;
        }
        try {
            return Double.parseDouble(text.replace("+Inf", "Infinity"));
        } catch (NumberFormatException e) {
            return Double.POSITIVE_INFINITY;
        }
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
