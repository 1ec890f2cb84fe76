package dev.leakguard.trend;

import dev.leakguard.text.Format;

/**
 * Turns a {@link FloorFit} and the open bucket into a verdict and a time to limit (docs/detection.md,
 * steps 5–9): memory evidence, corroborated by threads or not; a level shift judged beside the
 * shift; a decelerating rise projected as an exponential approach to a plateau; otherwise a linear
 * projection of the peaks against the limit.
 */
final class TrendJudge {

    /** One-sided α = 1 %: memory alone. */
    static final double Z_MEMORY = 2.326;
    /** One-sided α = 5 %: memory corroborated by correlated thread growth. */
    static final double Z_MEMORY_CORROBORATED = 1.645;
    /** One-sided α = 10 % for the recent half of the window, which has half the points. */
    static final double Z_HALF = 1.282;
    /** A recent half growing less than this share of the earlier one is slowing down (0.7 until round 6). */
    static final double DECELERATION_RATIO = 0.8;
    /** Practical significance for memory: the floor must rise by 2 % of the limit over one window. */
    static final double MIN_MEMORY_RISE_FRACTION = 0.02;

    private final DetectionSettings settings;
    private final double horizonSeconds;
    /** Scratch for the typical peak excursion: one slot per bucket of the window and the open one. */
    private final double[] excursions;

    TrendJudge(DetectionSettings settings, int bucketsPerWindow) {
        this.settings = settings;
        this.excursions = new double[bucketsPerWindow + 1];
        this.horizonSeconds = settings.horizon().toMillis() / 1000.0;
    }

    /**
     * The verdict after {@code sample}, which is in the open bucket of {@code buckets}.
     * {@code restart} prefixes the reason when this sample started a new series. {@code burstExcursion}
     * is the highest excursion of the peaks above the long view's floor line seen in the series.
     */
    Assessment judge(Sample sample, FloorFit fit, BucketRing buckets, FloorFit longFit, BucketRing longView, int samples,
                     String restart, double burstExcursion) {
        // The long view is a second opinion: it can raise the verdict (a slow or burst-ridden leak
        // the window cannot resolve), never lower one the window reached on its own evidence. It is
        // asked when it rises steadily, or when the window's floor rises clearly too and the highest
        // burst of the series on top of the long view's floor reaches the limit within the horizon.
        double zNeeded = fit.corroborated() ? Z_MEMORY_CORROBORATED : Z_MEMORY;
        double burstHeadroom = headroomBelowBursts(sample, longFit, longView, zNeeded, burstExcursion);
        Assessment window = judgeWindow(sample, fit, buckets, samples, restart, zNeeded, burstHeadroom);
        if (window.verdict() == Verdict.LEAKING) {
            return window;
        }
        boolean burstReaches = Double.isFinite(burstHeadroom)
                && burstHeadroom <= horizonSeconds * longFit.whole().slope() && windowTrend(fit).risesAt(zNeeded);
        if (!burstReaches && !steadyOverLongView(fit, longFit, zNeeded, sample.memoryBytes())) {
            return window;
        }
        Assessment longer = judgeLongView(sample, fit.threadsKnown() ? fit.threads().slope() : Double.NaN, longFit,
                longView, samples, restart, burstHeadroom);
        return longer.verdict() == Verdict.LEAKING || window.verdict() == Verdict.HEALTHY ? longer : window;
    }

    /**
     * The window holds too little after a scrape gap (the container did not restart), but the long
     * view, four windows wide, still has its floor (round 9): a gap is not evidence of health, and a
     * leak the long view saw rising before the gap is projected across it, on memory alone. Returns
     * {@code null} when the long view does not rise steadily (the verdict stays "collecting data").
     */
    Assessment judgeAcrossGap(Sample sample, FloorFit longFit, BucketRing longView, int samples, String restart,
                              double burstExcursion) {
        if (!risesOverLongView(longFit, Z_MEMORY, sample.memoryBytes()) || !longFit.recent().risesAt(Z_HALF)) {
            return null;
        }
        double burstHeadroom = headroomBelowBursts(sample, longFit, longView, Z_MEMORY, burstExcursion);
        double threadGrowth = longFit.threadsKnown() ? longFit.threads().slope() : Double.NaN;
        return judgeLongView(sample, threadGrowth, longFit, longView, samples, restart, burstHeadroom);
    }

    private Assessment judgeLongView(Sample sample, double threadGrowth, FloorFit longFit, BucketRing longView, int samples,
                                     String restart, double burstHeadroom) {
        Judgement judgement = new Judgement(settings, sample, samples, restart);
        TrendLine longTrend = longFit.whole();
        judgement.fit(longTrend.slope(), threadGrowth, longFit.fitQuality(),
                RobustStatistics.normalCdf(longTrend.z()));
        judgement.evidence("memory floor rises clearly, " + Format.growth(longTrend.slope()) + " over the last "
                + Format.duration(longView.bucketMillis() * longView.bucketsPerWindow() / 1000.0));
        if (!settings.limitKnown()) {
            return judgement.notApproaching(Verdict.SUSPECT, "; no memory limit known");
        }
        double xLong = longView.secondsSinceOrigin(sample.timestampMillis());
        return project(judgement, longFit, longView, longTrend, longTrend, xLong, Double.NEGATIVE_INFINITY, burstHeadroom);
    }

    private Assessment judgeWindow(Sample sample, FloorFit fit, BucketRing buckets, int samples, String restart,
                                   double zNeeded, double burstHeadroom) {
        Judgement judgement = new Judgement(settings, sample, samples, restart);
        double xNow = buckets.secondsSinceOrigin(sample.timestampMillis());
        boolean shifted = besideShift(fit);
        TrendLine trend = windowTrend(fit);
        double significance = RobustStatistics.normalCdf(trend.z());
        double threadGrowth = fit.threadsKnown() ? fit.threads().slope() : Double.NaN;
        boolean memoryEvidence = trend.risesAt(zNeeded) && practicallySignificant(trend.slope(), sample.memoryBytes());
        judgement.fit(trend.slope(), threadGrowth, fit.fitQuality(), significance);

        if (!memoryEvidence) {
            if (fit.threadEvidence()) {
                return judgement.notApproaching(Verdict.SUSPECT, "threads grow " + Format.countGrowth(threadGrowth)
                        + "; the memory rise is not yet clear");
            }
            return judgement.notApproaching(Verdict.HEALTHY, "no clear rise of the memory floor");
        }
        // Words, not p-values: the p-value is in analyze's JSON output, named for what it is.
        judgement.evidence("memory floor rises clearly, " + Format.growth(trend.slope()) + (fit.corroborated() ? ", threads too" : ""));
        // A rise that slows down is judged as an approach to a plateau, beside a level shift too
        // (round 7): a warm-up's first minutes rise within a third of the window, which reads as a
        // level shift, and its slow tail was then projected linearly towards the limit.
        if (decelerating(fit.earlier(), fit.recent()) && !fit.threadsSteady()) {
            return judgePlateau(judgement, fit, buckets, xNow);
        }
        if (shifted) {
            judgement.evidence(" beside a level shift");
            if (!settings.limitKnown()) {
                return judgement.notApproaching(Verdict.SUSPECT, "; no memory limit known");
            }
            return project(judgement, fit, buckets, fit.aroundShift(), fit.aroundShift(), xNow, fit.afterShiftX(),
                    burstHeadroom);
        }
        TrendLine recent = fit.recent();
        if (!recent.risesAt(Z_HALF)) {
            return judgement.notApproaching(Verdict.SUSPECT, " but not in the recent half");
        }
        TrendLine projected = recent.slope() > fit.whole().slope() ? recent : fit.whole();
        // A leak that began inside the window is judged on its own slope, not diluted by the flat part before it.
        TrendLine sinceOnset = fit.sinceOnset();
        if (sinceOnset != null && sinceOnset.slope() > projected.slope() && sinceOnset.risesAt(Z_HALF)) {
            projected = sinceOnset;
        }
        if (!settings.limitKnown()) {
            return judgement.growth(projected.slope()).notApproaching(Verdict.SUSPECT, "; no memory limit known");
        }
        return project(judgement, fit, buckets, projected, fit.whole(), xNow, Double.NEGATIVE_INFINITY, burstHeadroom);
    }

    /**
     * Linear time to limit against the floor line plus a peak excursion above it, from the buckets
     * from {@code fromX} on. The verdict uses the highest excursion: the OOM killer acts on the
     * highest peak, and a quantile that discarded the top let slow leaks reach the limit by a peak
     * it had ignored. The reported time to limit is the point estimate, all of it on the
     * {@code typical} line (the whole window's, not the steeper of the window, its recent half and
     * the trend since an onset, which is biased towards the steeper): its level now, its slope and the
     * {@link FloorFit#TYPICAL_PEAK_QUANTILE} quantile of the peaks' excursions above it. Until round 9
     * the level and the excursion came from the steeper line and only the slope from the typical one;
     * on the development seeds that estimate was 0.99 of the time really left at the median but 0.65
     * at p10 (a thread leak "in ~18m" with 65 minutes left), the consistent one is 1.01 (0.76). The
     * pessimistic bound divides the highest excursion's headroom by the upper end of Sen's interval.
     * {@code burstHeadroom} caps the headroom when the series has seen bursts higher than the window
     * holds ({@link #headroomBelowBursts}).
     */
    private Assessment project(Judgement judgement, FloorFit fit, BucketRing buckets, TrendLine line,
                               TrendLine typical, double xNow, double fromX, double burstHeadroom) {
        double openExcursion = buckets.openPeak() - line.at(buckets.centreSeconds(buckets.openIndex()));
        double floorNow = line.at(xNow);
        double peakHeadroom = settings.memoryLimitBytes() - floorNow - fit.peakAbove(line, fromX, openExcursion);
        double headroom = Math.min(burstHeadroom, peakHeadroom);
        double highestPeakSeconds = Math.max(0, headroom / line.slope());
        double secondsToLimitLower = Math.max(0, headroom / Math.max(line.upper(), line.slope()));
        double typicalOpenExcursion = buckets.openPeak() - typical.at(buckets.centreSeconds(buckets.openIndex()));
        double typicalHeadroom = settings.memoryLimitBytes() - typical.at(xNow)
                - fit.typicalPeakAbove(typical, fromX, typicalOpenExcursion, excursions);
        double secondsToLimit = Math.max(highestPeakSeconds, typicalHeadroom / typical.slope());
        Verdict verdict = highestPeakSeconds <= horizonSeconds ? Verdict.LEAKING : Verdict.SUSPECT;
        return judgement.growth(line.slope()).verdict(verdict, secondsToLimit, secondsToLimitLower,
                "; peaks reach the limit in ~" + Format.duration(secondsToLimit)
                        + (burstHeadroom < peakHeadroom ? " (the highest burst seen so far in ~" : " (the highest in ~")
                        + Format.duration(highestPeakSeconds) + ")");
    }

    /**
     * The floor rises, but its recent half clearly slower than its earlier half: less than
     * {@value #DECELERATION_RATIO} of its slope, and the upper end of the recent half's interval
     * below it (a noisy half does not fake a slowdown).
     */
    static boolean decelerating(TrendLine earlier, TrendLine recent) {
        return earlier.slope() > 0 && slowedDown(earlier, recent);
    }

    /** The recent half's slope below {@value #DECELERATION_RATIO} of the earlier one's, and its interval's upper end too. */
    private static boolean slowedDown(TrendLine earlier, TrendLine recent) {
        return recent.slope() < DECELERATION_RATIO * earlier.slope() && recent.upper() < earlier.slope();
    }

    /**
     * Growth is slowing: model it as an exponential approach to a plateau with the time constant τ
     * that fits the floor points best ({@link FloorFit#plateauTau}; until round 7 τ = Δ / ln(s1/s2)
     * from the half slopes, which noise inflated). From the recent half's slope s2 at its centre,
     * the slope now is s(now) = s2·e^(−(now − centre)/τ); the floor will still grow by s(now)·τ,
     * and reaches a headroom h after −τ·ln(1 − h / (s(now)·τ)) (h / s(now) when τ is infinite).
     * The floor now follows the same model, s2·τ·(1 − e^(−(now − centre)/τ)) above the recent line
     * at its centre (round 8): the recent line extended linearly from its centre to now, a quarter
     * window plus the erosion span, counted the slowing growth twice, once in the floor and once in
     * s(now)·τ. The peaks' excursion is measured where the recent line was fitted (round 8): extended back
     * over the window's steep start, the flatter line lies far below the early peaks, and a warm-up
     * that had levelled off was acted on for "peaks reach the limit in ~0s".
     */
    private Assessment judgePlateau(Judgement judgement, FloorFit fit, BucketRing buckets, double xNow) {
        TrendLine recent = fit.recent();
        if (recent.slope() <= 0) {
            return judgement.notApproaching(Verdict.HEALTHY, " but has levelled off");
        }
        double tau = fit.plateauTau();
        double sinceCentre = xNow - fit.recentCentre();
        double slopeNow = recent.slope() * Math.exp(-sinceCentre / tau);
        double remainingGrowth = slopeNow * tau;
        judgement.growth(slopeNow);
        if (!settings.limitKnown()) {
            return judgement.notApproaching(Verdict.HEALTHY, " but is levelling off");
        }
        double floorNow = Double.isInfinite(tau) ? recent.at(xNow)
                : recent.at(fit.recentCentre()) + recent.slope() * tau * (1 - Math.exp(-sinceCentre / tau));
        double headroom = settings.memoryLimitBytes() - floorNow
                - peakAbove(fit, buckets, recent, fit.recentStart());
        double secondsToLimitLower = Math.max(0, headroom / Math.max(recent.upper(), recent.slope()));
        if (headroom > 0 && remainingGrowth <= headroom) {
            return judgement.verdict(Verdict.HEALTHY, Double.POSITIVE_INFINITY, secondsToLimitLower,
                    " but is levelling off about " + Format.bytes(remainingGrowth) + " higher, below the limit");
        }
        double secondsToLimit = headroom <= 0 ? 0
                : Double.isInfinite(tau) ? headroom / slopeNow : -tau * Math.log(1 - headroom / remainingGrowth);
        Verdict verdict = secondsToLimit <= horizonSeconds ? Verdict.LEAKING : Verdict.SUSPECT;
        return judgement.verdict(verdict, secondsToLimit, Math.min(secondsToLimit, secondsToLimitLower),
                ", slowing, but peaks still reach the limit in ~" + Format.duration(secondsToLimit));
    }

    /** The window's floor trend: beside a level shift when there is one (and threads do not rise steadily). */
    private static TrendLine windowTrend(FloorFit fit) {
        return besideShift(fit) ? fit.aroundShift() : fit.whole();
    }

    /** The window is judged beside a level shift: it has one, and threads do not rise steadily through it. */
    private static boolean besideShift(FloorFit fit) {
        return fit.levelShift() && !fit.threadsSteady();
    }

    /**
     * A slow leak whose rise over one window drowns in noise: over several windows the floor rises
     * significantly, its recent half still rises as fast, and the latest window does not contradict
     * it (the upper end of its slope interval reaches the long slope). Since round 6 a level shift in
     * the long view no longer vetoes it: over four windows a leak under traffic always has some.
     */
    private boolean steadyOverLongView(FloorFit fit, FloorFit longFit, double zNeeded, double memoryNow) {
        return risesOverLongView(longFit, zNeeded, memoryNow) && longFit.recent().risesAt(Z_HALF)
                && fit.whole().slope() > 0 && fit.whole().upper() >= longFit.whole().slope();
    }

    /**
     * Over several windows the floor rises significantly, by a practically relevant amount, and its
     * recent half has not slowed down (bursts and level shifts allowed).
     */
    private boolean risesOverLongView(FloorFit longFit, double zNeeded, double memoryNow) {
        if (longFit == null || !longFit.enough()) {
            return false;
        }
        TrendLine longTrend = longFit.whole();
        return longTrend.risesAt(zNeeded) && practicallySignificant(longTrend.slope(), memoryNow)
                && !slowedDown(longFit.earlier(), longFit.recent());
    }

    /**
     * The headroom left above the long view's floor line now once the highest burst the series has
     * seen comes on top of it (round 6). Under traffic bursts a slow leak is OOM-killed by a burst
     * higher than any in the window, at a floor of 65–80 % of the limit; the window's highest peak
     * cannot foresee it, the series' highest burst is the best guess of how high the next one goes.
     * Only while the floor rises over the long view: without a leak, a burst seen once is no reason
     * to act. +∞ otherwise.
     */
    private double headroomBelowBursts(Sample sample, FloorFit longFit, BucketRing longView, double zNeeded,
                                       double burstExcursion) {
        if (!settings.limitKnown() || !risesOverLongView(longFit, zNeeded, sample.memoryBytes())) {
            return Double.POSITIVE_INFINITY;
        }
        double floorNow = longFit.whole().at(longView.secondsSinceOrigin(sample.timestampMillis()));
        return settings.memoryLimitBytes() - floorNow - burstExcursion;
    }

    /** The peak excursion above {@code line}, the open bucket's included. */
    private static double peakAbove(FloorFit fit, BucketRing buckets, TrendLine line, double fromX) {
        double openExcursion = buckets.openPeak() - line.at(buckets.centreSeconds(buckets.openIndex()));
        return fit.peakAbove(line, fromX, openExcursion);
    }

    /** Bytes of the judge's scratch array and fields. */
    long retainedBytes() {
        return 16 + 8L * excursions.length + 48;
    }

    /**
     * A trend is worth reporting only if, over one window, the floor rises by a share of the limit
     * (of the current memory when no limit is known). Mann–Kendall answers "is there a trend?", not
     * "does it matter?": with sampling jitter against a GC sawtooth it also finds a few MiB per hour
     * in a steady service, which would take days to reach any limit.
     */
    private boolean practicallySignificant(double slopeBytesPerSecond, double memoryNow) {
        double reference = settings.limitKnown() ? settings.memoryLimitBytes() : memoryNow;
        return slopeBytesPerSecond * settings.window().toMillis() / 1000.0 >= MIN_MEMORY_RISE_FRACTION * reference;
    }
}
