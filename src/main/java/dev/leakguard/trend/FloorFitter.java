package dev.leakguard.trend;

import java.util.Arrays;

/**
 * Fits the floor of the closed buckets: erosion to floor points, Theil–Sen and Mann–Kendall over
 * the window and its halves, the level-shift check and the thread signal (docs/detection.md,
 * steps 2–8). Its arrays are scratch space reused between fits, so a fit allocates only its result.
 */
final class FloorFitter {

    /** The floor at a bucket is the minimum over this share of the window before it. */
    static final double EROSION_FRACTION = 0.2;
    /** A verdict needs floor points covering this share of the window (after the erosion span). */
    static final double MIN_POINTS_FRACTION = 0.4;
    static final int MIN_POINTS_FLOOR = 6;
    static final double Z_THREADS = 2.326;
    /** Sen's interval at 90 % two-sided: its upper end is a 95 % one-sided pessimistic slope. */
    static final double Z_SEN_INTERVAL = 1.645;
    /** Persistence: no span of this fraction of the window may hold more than the share below of the rise. */
    static final int PERSISTENCE_SPAN = 3;
    static final double PERSISTENCE_SHARE = 0.7;
    static final double MIN_THREAD_MEMORY_TAU = 0.3;
    /**
     * Practical significance for threads: over one window the thread floor must rise by at least
     * this many, and by this share of the series' lowest count. A steady service whose goroutine
     * count drifts by a handful, or by 40 in-flight requests under a traffic burst, is
     * statistically "growing" yet leaks nothing worth a restart. The share is of the lowest count,
     * not of the window's first: late in a thread leak the window starts high, and a share of it
     * had hidden the leak (round 4).
     */
    static final double MIN_THREAD_RISE = 20;
    static final double MIN_THREAD_RISE_FRACTION = 0.1;
    /** The grid of {@link #plateauTau}: from this share of the floor points' span ... */
    static final double PLATEAU_TAU_SHORTEST = 0.05;
    /** ... to this multiple of it (a plateau that far off rises as a straight line over the window) ... */
    static final double PLATEAU_TAU_LONGEST = 20;
    /** ... in this many geometric steps. */
    static final int PLATEAU_TAU_STEPS = 40;

    private final int erosionBuckets;
    private final int minPoints;

    private final double[] bucketX;
    private final double[] bucketFloor;
    private final double[] bucketPeak;
    private final double[] bucketThreads;
    private final int[] bucketCount;
    /** Per floor point: how many samples its erosion span holds. */
    private final double[] spanSamples;
    private final double[] x;
    private final double[] yFloor;
    private final double[] yThreads;
    private final double[] values;
    private final double[] ranks;
    private final double[] slopes;
    private final double[] interval = new double[2];

    FloorFitter(DetectionSettings settings, int bucketsPerWindow) {
        this.erosionBuckets = Math.max(1, (int) Math.round(bucketsPerWindow * EROSION_FRACTION));
        this.minPoints = Math.max(MIN_POINTS_FLOOR, (int) Math.round(bucketsPerWindow * MIN_POINTS_FRACTION));
        int capacity = bucketsPerWindow + 1;
        bucketX = new double[capacity];
        bucketFloor = new double[capacity];
        bucketPeak = new double[capacity];
        bucketThreads = new double[capacity];
        bucketCount = new int[capacity];
        spanSamples = new double[capacity];
        x = new double[capacity];
        yFloor = new double[capacity];
        yThreads = new double[capacity];
        values = new double[capacity];
        ranks = new double[capacity];
        slopes = new double[bucketsPerWindow * (bucketsPerWindow - 1) / 2];
    }

    int minPoints() {
        return minPoints;
    }

    FloorFit fit(BucketRing ring) {
        int buckets = gatherBuckets(ring);
        boolean threadsKnown = true;
        for (int i = 0; i < buckets; i++) {
            threadsKnown &= !Double.isNaN(bucketThreads[i]);
        }
        int closedSamples = ring.closedSamples();
        int covered = coveredBuckets(buckets, ring.bucketMillis());
        if (covered < minPoints) {
            return FloorFit.insufficient(closedSamples, covered);
        }
        int points = erodeFloors(buckets, ring.bucketMillis());
        TrendLine whole = fit(x, yFloor, 0, points);
        double fitQuality = RobustStatistics.rSquared(x, yFloor, 0, points, whole.intercept(), whole.slope());
        int half = points / 2;
        int onset = onset(yFloor, points);
        TrendLine sinceOnset = onset < 0 ? null : fit(x, yFloor, onset, points);
        TrendLine earlier = fit(x, yFloor, 0, half);
        TrendLine recent = fit(x, yFloor, half, points);
        int[] shift = concentratedRise(yFloor, points);
        TrendLine aroundShift = shift == null ? null : fitAroundShift(x, yFloor, points, shift[0], shift[1]);
        TrendLine threads = null;
        boolean threadEvidence = false;
        boolean corroborated = false;
        boolean threadsSteady = false;
        if (threadsKnown) {
            threads = fit(x, yThreads, 0, points);
            double riseOverWindow = threads.slope() * ring.bucketMillis() * ring.bucketsPerWindow() / 1000.0;
            threadEvidence = threads.risesAt(Z_THREADS)
                    && riseOverWindow >= Math.max(MIN_THREAD_RISE, MIN_THREAD_RISE_FRACTION * ring.lowestThreads());
            corroborated = threadEvidence
                    && RobustStatistics.kendallTau(yThreads, yFloor, 0, points) >= MIN_THREAD_MEMORY_TAU;
            threadsSteady = corroborated && concentratedRise(yThreads, points) == null;
        }
        return new FloorFit(closedSamples, covered, true, whole, earlier, recent, centre(half, points), x[half],
                fitQuality, aroundShift, shift == null ? Double.NaN : x[shift[1]], threads, threadEvidence, corroborated,
                threadsSteady, Arrays.copyOf(bucketX, buckets), Arrays.copyOf(bucketPeak, buckets), sinceOnset,
                TrendJudge.decelerating(earlier, recent) ? plateauTau(points) : Double.NaN);
    }

    /**
     * Copies the closed buckets of the window, oldest first, into the bucket arrays (x = bucket
     * centre in seconds since the series origin); returns how many there are.
     */
    private int gatherBuckets(BucketRing ring) {
        int n = 0;
        for (long index = ring.firstWindowIndex(); index < ring.openIndex(); index++) {
            if (!ring.holds(index)) {
                continue;
            }
            bucketX[n] = ring.centreSeconds(index);
            bucketFloor[n] = ring.floor(index);
            bucketPeak[n] = ring.peak(index);
            bucketThreads[n] = ring.threadFloor(index);
            bucketCount[n] = ring.count(index);
            n++;
        }
        return n;
    }

    /**
     * How much of the window the floor covers, in buckets: the time from the first bucket with a
     * full erosion span behind it to the last closed bucket. Time, not buckets held — a scrape
     * gap or irregular sampling leaves buckets empty without shortening the evidence around them.
     * Returns 0 unless at least {@value #MIN_POINTS_FLOOR} floor points exist.
     */
    private int coveredBuckets(int buckets, long bucketMillis) {
        double span = erosionBuckets * bucketMillis / 1000.0;
        int points = 0;
        for (int i = 0; i < buckets; i++) {
            if (bucketX[i] - bucketX[0] >= span - bucketMillis / 1000.0) {
                points++;
            }
        }
        if (points < MIN_POINTS_FLOOR) {
            return 0;
        }
        double firstPoint = bucketX[0] + span - bucketMillis / 1000.0;
        return (int) Math.round((bucketX[buckets - 1] - firstPoint) * 1000.0 / bucketMillis) + 1;
    }

    /**
     * The floor points: for each bucket with a full span behind it, the lowest bucket minimum in
     * the trailing {@value #EROSION_FRACTION} of the window (a morphological erosion), placed at
     * the start of that span, where a rising floor has its minimum (so the level does not lag). A
     * GC sawtooth shorter than the span reduces to its troughs, while a rising floor keeps its
     * slope. The minimum of n noisy samples lies lower the more samples there are, so a span that
     * lost scrapes reads higher than its neighbours: each point is brought to the typical span's
     * sample count ({@link #likeForLike}). Returns the number of points written to x / yFloor / yThreads.
     */
    private int erodeFloors(int buckets, long bucketMillis) {
        double span = erosionBuckets * bucketMillis / 1000.0;
        int n = 0;
        int from = 0;
        for (int i = 0; i < buckets; i++) {
            if (bucketX[i] - bucketX[0] < span - bucketMillis / 1000.0) {
                continue;
            }
            while (bucketX[from] <= bucketX[i] - span) {
                from++;
            }
            double memory = Double.POSITIVE_INFINITY;
            double threads = Double.POSITIVE_INFINITY;
            int samples = 0;
            for (int j = from; j <= i; j++) {
                memory = Math.min(memory, bucketFloor[j]);
                threads = Math.min(threads, bucketThreads[j]);
                samples += bucketCount[j];
            }
            x[n] = bucketX[i] - span + bucketMillis / 1000.0;
            yFloor[n] = memory;
            yThreads[n] = threads;
            spanSamples[n] = samples;
            n++;
        }
        likeForLike(buckets, n);
        return n;
    }

    /**
     * Compares like with like (round 9): the minimum of n samples with noise σ lies about σ·E[max of n
     * standard normals] below their level, so a span that lost scrapes (or got fewer of irregular
     * ones) reads higher than its neighbours, a phantom rise after every stretch of lost scrapes. Each
     * floor point is moved by σ·(E(n) − E(median n)); a point with the typical count stays where it is,
     * and with a steady scrape rate none moves. σ is the median over the buckets of two or more samples
     * of their range over the expected range of as many normals (a range estimate of σ, as in quality
     * control charts); a GC ramp inside a bucket adds to it and over-corrects the points that lost
     * samples a little. On the detection benchmark's development seeds this removed 6 false actions
     * and 1 miss over nine seeds (docs/detection.md, round 9).
     */
    private void likeForLike(int buckets, int points) {
        int ranged = 0;
        for (int i = 0; i < buckets; i++) {
            if (bucketCount[i] >= 2) {
                values[ranged++] = (bucketPeak[i] - bucketFloor[i]) / (2 * RobustStatistics.expectedMaximumOfNormals(bucketCount[i]));
            }
        }
        if (ranged == 0 || points == 0) {
            return;
        }
        double sigma = RobustStatistics.median(values, ranged);
        System.arraycopy(spanSamples, 0, values, 0, points);
        double typical = RobustStatistics.expectedMaximumOfNormals((int) Math.round(RobustStatistics.median(values, points)));
        for (int i = 0; i < points; i++) {
            yFloor[i] -= sigma * (typical - RobustStatistics.expectedMaximumOfNormals((int) spanSamples[i]));
        }
    }

    /**
     * The span of a rise that is concentrated: the series rises over the window but more than
     * {@value #PERSISTENCE_SHARE} of it happens within a {@value #PERSISTENCE_SPAN}-th of the
     * window. That is a level shift (a traffic burst rises within minutes, then stays flat), while
     * a leak rises all the time (under a slow GC sawtooth in stairs, but many of them). Returns
     * the last point before and the first after the span, or {@code null} when the rise is not concentrated.
     */
    private int[] concentratedRise(double[] ys, int n) {
        int edge = Math.max(1, n / 8);
        System.arraycopy(ys, 0, values, 0, edge);
        double start = RobustStatistics.median(values, edge);
        System.arraycopy(ys, n - edge, values, 0, edge);
        double end = RobustStatistics.median(values, edge);
        double rise = end - start;
        if (!(rise > 0)) {
            return null;
        }
        int span = Math.max(1, n / PERSISTENCE_SPAN);
        double largestShortRise = 0;
        int lastBefore = 0;
        int firstAfter = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j <= Math.min(n - 1, i + span); j++) {
                if (ys[j] - ys[i] > largestShortRise) {
                    largestShortRise = ys[j] - ys[i];
                    lastBefore = i;
                    firstAfter = j;
                }
            }
        }
        return largestShortRise > PERSISTENCE_SHARE * rise ? new int[] {lastBefore, firstAfter} : null;
    }

    /**
     * Where the floor's growth began, if it accelerated inside the window: the point lying deepest
     * below the chord between the medians of the first and last eighths (a one-break piecewise-linear
     * fit; the deepest point of a convex series is its knee), searched in the middle half so each
     * side keeps a quarter of the points. Returns -1 when no point lies below the chord (a straight or
     * slowing rise).
     */
    private int onset(double[] ys, int n) {
        int edge = Math.max(1, n / 8);
        System.arraycopy(ys, 0, values, 0, edge);
        double start = RobustStatistics.median(values, edge);
        System.arraycopy(ys, n - edge, values, 0, edge);
        double end = RobustStatistics.median(values, edge);
        double xStart = (x[0] + x[edge - 1]) / 2;
        double chordSlope = (end - start) / ((x[n - edge] + x[n - 1]) / 2 - xStart);
        int knee = -1;
        double deepest = 0;
        for (int k = n / 4; k <= n - n / 4; k++) {
            double below = start + chordSlope * (x[k] - xStart) - ys[k];
            if (below > deepest) {
                deepest = below;
                knee = k;
            }
        }
        return knee;
    }

    /**
     * The time constant of the exponential approach to a plateau, y = a − b·e^(−x/τ), that fits the
     * floor points best in least squares: τ on a geometric grid, a and b in closed form for each.
     * Every point counts, where the ratio of the two half slopes rests on two noisy slopes, and
     * its logarithm near 0 (halves rising almost alike) inflates τ. +∞ when the longest τ fits best.
     */
    private double plateauTau(int points) {
        double span = x[points - 1] - x[0];
        double bestTau = Double.POSITIVE_INFINITY;
        double bestResidual = Double.POSITIVE_INFINITY;
        double meanY = 0;
        for (int i = 0; i < points; i++) {
            meanY += yFloor[i];
        }
        meanY /= points;
        for (int step = 0; step < PLATEAU_TAU_STEPS; step++) {
            double tau = span * PLATEAU_TAU_SHORTEST * Math.pow(PLATEAU_TAU_LONGEST / PLATEAU_TAU_SHORTEST,
                    step / (PLATEAU_TAU_STEPS - 1.0));
            double meanF = 0;
            for (int i = 0; i < points; i++) {
                values[i] = Math.exp(-(x[i] - x[0]) / tau);
                meanF += values[i];
            }
            meanF /= points;
            double sff = 0;
            double sfy = 0;
            for (int i = 0; i < points; i++) {
                sff += (values[i] - meanF) * (values[i] - meanF);
                sfy += (values[i] - meanF) * (yFloor[i] - meanY);
            }
            double b = sfy / sff;
            double residual = 0;
            for (int i = 0; i < points; i++) {
                double r = yFloor[i] - meanY - b * (values[i] - meanF);
                residual += r * r;
            }
            if (b < 0 && residual < bestResidual) {
                bestResidual = residual;
                bestTau = step == PLATEAU_TAU_STEPS - 1 ? Double.POSITIVE_INFINITY : tau;
            }
        }
        return bestTau;
    }

    private double centre(int from, int to) {
        return (x[from] + x[to - 1]) / 2;
    }

    private TrendLine fit(double[] xs, double[] ys, int from, int to) {
        int pairs = RobustStatistics.pairwiseSlopes(xs, ys, from, to, slopes);
        double slope = pairs == 0 ? 0 : RobustStatistics.median(slopes, pairs);
        double intercept = RobustStatistics.intercept(xs, ys, from, to, slope, values);
        double variance = RobustStatistics.mannKendallVariance(ys, from, to, values)
                * RobustStatistics.autocorrelationFactor(xs, ys, from, to, intercept, slope, values, ranks);
        double z = RobustStatistics.mannKendallZ(RobustStatistics.mannKendallS(ys, from, to), variance);
        return new TrendLine(slope, intercept, z, upper(slope, pairs, variance));
    }

    /**
     * The trend beside a level shift between points {@code lastBefore} and {@code firstAfter}:
     * Theil–Sen over pairs within each regime, a Mann–Kendall S summed over the regimes with the
     * variances added (the seasonal Kendall test of Hirsch, Slack &amp; Smith 1982, the regimes as
     * seasons), and the level of the regime after the shift.
     */
    private TrendLine fitAroundShift(double[] xs, double[] ys, int to, int lastBefore, int firstAfter) {
        int beforeEnd = lastBefore + 1;
        int pairs = RobustStatistics.pairwiseSlopesAroundShift(xs, ys, 0, beforeEnd, firstAfter, to, slopes);
        double slope = pairs == 0 ? 0 : RobustStatistics.median(slopes, pairs);
        double intercept = RobustStatistics.intercept(xs, ys, firstAfter, to, slope, values);
        long s = RobustStatistics.mannKendallS(ys, 0, beforeEnd) + RobustStatistics.mannKendallS(ys, firstAfter, to);
        double variance = RobustStatistics.mannKendallVariance(ys, 0, beforeEnd, values)
                + RobustStatistics.mannKendallVariance(ys, firstAfter, to, values);
        double z = RobustStatistics.mannKendallZ(s, variance);
        return new TrendLine(slope, intercept, z, upper(slope, pairs, variance));
    }

    /** The upper end of Sen's interval; the slopes array must still hold the fit's pairwise slopes. */
    private double upper(double slope, int pairs, double variance) {
        return pairs == 0 ? slope : RobustStatistics.senInterval(slopes, pairs, variance, Z_SEN_INTERVAL, interval)[1];
    }

    /** Bytes of the scratch arrays including their headers. */
    long retainedBytes() {
        return 8L * (bucketX.length + bucketFloor.length + bucketPeak.length + bucketThreads.length + x.length
                + yFloor.length + yThreads.length + values.length + ranks.length + slopes.length + interval.length
                + spanSamples.length) + 4L * bucketCount.length + 13 * 16;
    }
}
