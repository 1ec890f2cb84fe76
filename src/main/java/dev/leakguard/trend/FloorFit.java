package dev.leakguard.trend;

/**
 * Everything the judge needs that depends only on the closed buckets of the window — computed by
 * {@link FloorFitter} once per closed bucket, then read by every sample of the open bucket.
 *
 * @param closedSamples    samples in the closed buckets of the window
 * @param covered          closed buckets with a full erosion span behind them
 * @param enough           whether {@code covered} reaches the minimum; when false only the two counts are set
 * @param whole            floor trend over the window
 * @param earlier          floor trend over the earlier half of the floor points
 * @param recent           floor trend over the recent half
 * @param recentCentre     centre (seconds) of the recent half
 * @param recentStart      where (seconds) the recent half's first floor point lies
 * @param fitQuality       R² of the whole-window line
 * @param aroundShift      the trend beside a concentrated rise of the floor; {@code null} when there is none
 * @param afterShiftX      where the regime after that rise starts (seconds)
 * @param threads          thread-floor trend; {@code null} when some bucket has no thread count
 * @param threadEvidence   threads rise significantly and by a practically relevant amount
 * @param corroborated     ... and correlated with the memory floor
 * @param threadsSteady    ... and steadily, not in a level shift
 * @param bucketX          centres of the closed buckets (seconds), oldest first
 * @param bucketPeak       their peaks
 * @param sinceOnset       floor trend from where growth began inside the window (the knee of an
 *                         accelerating rise); {@code null} when the rise did not accelerate
 * @param plateauTau       time constant (seconds) of the exponential approach to a plateau that fits
 *                         the floor points best, when the rise is slowing down
 *                         ({@link TrendJudge#decelerating}); NaN otherwise, +∞ when the longest τ of
 *                         the grid (a straight line over the window) fits best
 */
record FloorFit(int closedSamples, int covered, boolean enough, TrendLine whole, TrendLine earlier, TrendLine recent,
                double recentCentre, double recentStart, double fitQuality, TrendLine aroundShift, double afterShiftX,
                TrendLine threads, boolean threadEvidence, boolean corroborated, boolean threadsSteady,
                double[] bucketX, double[] bucketPeak, TrendLine sinceOnset, double plateauTau) {

    /** The peak excursion of the reported time to limit ({@link #typicalPeakAbove}); 0.5 until round 9. */
    static final double TYPICAL_PEAK_QUANTILE = 0.75;

    static FloorFit insufficient(int closedSamples, int covered) {
        return new FloorFit(closedSamples, covered, false, null, null, null, Double.NaN, Double.NaN, 0, null,
                Double.NaN, null, false, false, false, new double[0], new double[0], null, Double.NaN);
    }

    boolean levelShift() {
        return aroundShift != null;
    }

    boolean threadsKnown() {
        return threads != null;
    }

    /**
     * How far the peaks reach above a floor line: the highest excursion of the closed buckets from
     * {@code fromX} on, starting from the open bucket's. The OOM killer acts on the highest peak; a
     * quantile that discards the top let slow leaks reach the limit by a peak it had ignored.
     */
    double peakAbove(TrendLine line, double fromX, double openExcursion) {
        double highest = openExcursion;
        for (int i = 0; i < bucketX.length; i++) {
            if (bucketX[i] >= fromX) {
                highest = Math.max(highest, bucketPeak[i] - line.at(bucketX[i]));
            }
        }
        return Math.max(0, highest);
    }

    /**
     * The typical peak excursion above a floor line: the {@value #TYPICAL_PEAK_QUANTILE} quantile of
     * the excursions of the closed buckets from {@code fromX} on and the open bucket (the median until
     * round 9). The OOM kill comes at the first of many peaks to cross the limit, so a peak higher than
     * half of them; the highest one is the pessimistic bound. {@code scratch} must hold every bucket plus one.
     */
    double typicalPeakAbove(TrendLine line, double fromX, double openExcursion, double[] scratch) {
        int n = 0;
        scratch[n++] = openExcursion;
        for (int i = 0; i < bucketX.length; i++) {
            if (bucketX[i] >= fromX) {
                scratch[n++] = bucketPeak[i] - line.at(bucketX[i]);
            }
        }
        return Math.max(0, RobustStatistics.select(scratch, n, (int) Math.round((n - 1) * TYPICAL_PEAK_QUANTILE)));
    }

    /** Bytes a fit of up to {@code buckets} closed buckets holds: its lines, its arrays and its own fields. */
    static long retainedBytes(int buckets) {
        return 6 * 48 + 2 * (16 + 8L * buckets) + 128;
    }
}
