package dev.leakguard.trend;

/**
 * Builds one {@link Assessment}: the fields every verdict of one sample shares, and its reason —
 * a restart prefix, the evidence found, then how the verdict follows from it.
 */
final class Judgement {

    private final DetectionSettings settings;
    private final Sample sample;
    private final int samples;
    private final StringBuilder reason = new StringBuilder();
    private double growth = Double.NaN;
    private double threadGrowth = Double.NaN;
    private double fitQuality;
    private double significance;

    Judgement(DetectionSettings settings, Sample sample, int samples, String restart) {
        this.settings = settings;
        this.sample = sample;
        this.samples = samples;
        if (restart != null) {
            reason.append(restart);
        }
    }

    /** What the fit found; growth is the floor's slope until {@link #growth} replaces it with the projected one. */
    Judgement fit(double memoryGrowth, double threadGrowth, double fitQuality, double significance) {
        this.growth = memoryGrowth;
        this.threadGrowth = threadGrowth;
        this.fitQuality = fitQuality;
        this.significance = significance;
        return this;
    }

    Judgement growth(double projectedGrowth) {
        this.growth = projectedGrowth;
        return this;
    }

    /** Appends to the reason the evidence the verdict rests on. */
    Judgement evidence(String text) {
        reason.append(text);
        return this;
    }

    /** A verdict with the limit not in sight. */
    Assessment notApproaching(Verdict verdict, String conclusion) {
        return verdict(verdict, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, conclusion);
    }

    Assessment verdict(Verdict verdict, double secondsToLimit, double secondsToLimitLower, String conclusion) {
        return new Assessment(verdict, sample.memoryBytes(), settings.memoryLimitBytes(), growth, sample.threads(),
                threadGrowth, secondsToLimit, secondsToLimitLower, fitQuality, significance, samples,
                reason + conclusion);
    }

    /** Not enough data for a verdict: no growth figures, no time to limit. */
    Assessment insufficient(String conclusion) {
        return new Assessment(Verdict.INSUFFICIENT_DATA, sample.memoryBytes(), settings.memoryLimitBytes(), Double.NaN,
                sample.threads(), Double.NaN, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, 0, samples,
                reason + conclusion);
    }
}
