package dev.leakguard.trend;

/**
 * Says when a sample starts a new series: a changed container start time or restart count, or —
 * only when the series carries neither — a drop of the floor back towards the series' baseline (a
 * one-sided shift detector in the spirit of Page's CUSUM, 1954, reduced to a threshold because
 * restarts are large shifts). When the container's identity is known, nothing else starts a new
 * series: memory that falls after a scrape gap is the same container freeing memory.
 */
final class SeriesResetDetector {

    /** A restart drop: the floor falls by a quarter and at least halfway back to the baseline. */
    static final double DROP_FRACTION = 0.25;
    static final int DROP_REFERENCE_BUCKETS = 3;
    /** Container start times differ by more than this mean a new container (clock granularity). */
    static final long START_JITTER_MILLIS = 1000;

    private long containerStartMillis = -1;
    private int restartCount = -1;
    /** The floor of the series' first closed bucket. */
    private double baselineFloor = Double.NaN;

    /**
     * Why this sample starts a new series, or {@code null} when it continues the current one.
     * {@code buckets} is the current series, before the sample is added.
     */
    String resetReason(Sample sample, BucketRing buckets) {
        if (isNewContainer(sample)) {
            return "container restarted; new series. ";
        }
        if (!identityKnown() && dropsToBaseline(sample.memoryBytes(), buckets)) {
            return "memory dropped to baseline (restart); new series. ";
        }
        return null;
    }

    /** Remembers the container identity the sample carries, where known. */
    void remember(Sample sample) {
        if (sample.containerStartMillis() >= 0) {
            containerStartMillis = sample.containerStartMillis();
        }
        if (sample.restartCount() >= 0) {
            restartCount = sample.restartCount();
        }
    }

    /** The warm-up ends this long after the container start, or after the series start when that is unknown. */
    long warmupEnd(long seriesStartMillis, long warmupMillis) {
        return (containerStartMillis >= 0 ? containerStartMillis : seriesStartMillis) + warmupMillis;
    }

    void startSeries() {
        baselineFloor = Double.NaN;
    }

    /** The series' first closed bucket sets the baseline a restart drops back to. */
    void bucketClosed(double floor) {
        if (Double.isNaN(baselineFloor)) {
            baselineFloor = floor;
        }
    }

    private boolean identityKnown() {
        return containerStartMillis >= 0 || restartCount >= 0;
    }

    private boolean isNewContainer(Sample sample) {
        boolean newStart = sample.containerStartMillis() >= 0 && containerStartMillis >= 0
                && Math.abs(sample.containerStartMillis() - containerStartMillis) > START_JITTER_MILLIS;
        boolean newCount = sample.restartCount() >= 0 && restartCount >= 0 && sample.restartCount() != restartCount;
        return newStart || newCount;
    }

    private boolean dropsToBaseline(double memory, BucketRing buckets) {
        if (Double.isNaN(baselineFloor)) {
            return false;
        }
        double reference = buckets.lowestRecentFloor(DROP_REFERENCE_BUCKETS);
        return reference < Double.POSITIVE_INFINITY
                && memory < reference * (1 - DROP_FRACTION)
                && memory <= baselineFloor + 0.5 * (reference - baselineFloor);
    }
}
