package dev.leakguard.trend;

/**
 * The detector's judgement after a sample.
 *
 * @param verdict                    see {@link Verdict}
 * @param memoryBytes                the latest memory sample
 * @param memoryLimitBytes           the limit used ({@code NaN} when unknown)
 * @param memoryGrowthBytesPerSecond robust growth of the memory floor (Theil–Sen slope); {@code NaN} before a fit
 * @param threads                    the latest thread/goroutine count, {@code NaN} when not configured
 * @param threadGrowthPerSecond      robust growth of the thread floor, {@code NaN} when not available
 * @param secondsToLimit             predicted seconds until the peaks reach the limit; +Inf when not approaching
 * @param secondsToLimitLower        pessimistic bound (upper end of Sen's slope confidence interval)
 * @param fitQuality                 share of the floor's variance explained by the robust line, 0..1
 * @param significance               one-sided Mann–Kendall confidence that the floor rises, 0..1
 * @param samples                    samples inside the window of the current series
 * @param reason                     one short human sentence
 */
public record Assessment(Verdict verdict, double memoryBytes, double memoryLimitBytes,
                         double memoryGrowthBytesPerSecond, double threads, double threadGrowthPerSecond,
                         double secondsToLimit, double secondsToLimitLower, double fitQuality,
                         double significance, int samples, String reason) {

    /** True when a restart before the OOM killer is warranted. */
    public boolean leaking() {
        return verdict == Verdict.LEAKING;
    }
}
