package dev.leakguard.trend;

import dev.leakguard.policy.Durations;
import dev.leakguard.text.Format;
import java.time.Duration;
import java.util.Arrays;

/**
 * The leak detector: a robust trend of the memory <em>floor</em>, projected against the
 * <em>peaks</em>.
 *
 * <p>Garbage-collected heaps rise and fall; a leak is a floor that keeps rising. Samples go into
 * {@value #BUCKETS_PER_WINDOW} time buckets per window (a ring of primitive arrays, so state is
 * bounded whatever the window), each keeping its minimum (the floor after collections) and maximum
 * (the peak the OOM killer sees). When a bucket closes:
 * <ol>
 *   <li>Floor points: the lowest bucket minimum over the trailing {@value #EROSION_FRACTION} of
 *       the window (an erosion, i.e. a lower envelope), so a GC sawtooth reduces to its troughs.</li>
 *   <li>Theil–Sen slope of the floor points, Mann–Kendall test with tie correction for its
 *       significance, Sen's confidence interval for a pessimistic slope (see {@link RobustStatistics}).</li>
 *   <li>Plateau check: Theil–Sen slopes of the window's two halves. If the recent half grows less
 *       than {@value #DECELERATION_RATIO} of the earlier one, the growth is modelled as an
 *       exponential approach to a plateau (the step response of caches and pools filling): rate
 *       {@code s(t) = s0·exp(-t/τ)}, τ from the ratio of the half slopes, remaining growth
 *       {@code s(now)·τ}. Warm-up that levels off below the limit is therefore not a leak.</li>
 *   <li>Level shifts: when most of the floor's rise happens within a third of the window (a traffic
 *       burst, not a leak), the trend is judged beside that span — Theil–Sen and Mann–Kendall over
 *       the pairs within each regime (the seasonal Kendall structure of Hirsch, Slack &amp; Smith
 *       1982, regimes as seasons) — and projected from the level after it.</li>
 *   <li>The recent half must itself rise significantly; a step (a burst that then stays flat) is
 *       only {@link Verdict#SUSPECT}. If the recent half rises faster than the whole window (a
 *       leak that started inside the window), its fit is the one projected.</li>
 *   <li>Time to limit (on every sample) against the peak envelope: the floor line plus the
 *       highest excursion of the bucket peaks above it.</li>
 *   <li>Threads/goroutines as a second signal: a significant rise of the thread floor (Mann–Kendall)
 *       that is correlated with the memory floor (Kendall's tau) lowers the memory evidence needed
 *       from α = 1 % to 5 %; a thread rise alone is {@link Verdict#SUSPECT}.</li>
 *   <li>Restarts: a changed container start time or restart count, or a drop of the floor back
 *       towards the series' baseline (a one-sided shift detector in the spirit of Page's CUSUM,
 *       1954, reduced to a threshold because restarts are large shifts), starts a new series.</li>
 * </ol>
 * {@link Verdict#LEAKING} is reported once it has held for {@value #CONFIRMATION_FRACTION} of the
 * horizon. The fits are O(B²) for B = {@value #BUCKETS_PER_WINDOW} buckets and run once per closed
 * bucket; other samples only update the open bucket and the time to limit — O(1) amortised,
 * constant in the window length and the scrape rate.
 */
final class FloorTrendDetector implements LeakDetector {

    static final int BUCKETS_PER_WINDOW = 30;
    /** The floor at a bucket is the minimum over this share of the window before it. */
    static final double EROSION_FRACTION = 0.2;
    /** A verdict needs floor points covering this share of the window (after the erosion span). */
    static final double MIN_POINTS_FRACTION = 0.4;
    static final int MIN_POINTS_FLOOR = 6;
    /** One-sided α = 1 %: memory alone. */
    static final double Z_MEMORY = 2.326;
    /** One-sided α = 5 %: memory corroborated by correlated thread growth. */
    static final double Z_MEMORY_CORROBORATED = 1.645;
    static final double Z_THREADS = 2.326;
    /** One-sided α = 10 % for the recent half of the window, which has half the points. */
    static final double Z_HALF = 1.282;
    /** Sen's interval at 90 % two-sided: its upper end is a 95 % one-sided pessimistic slope. */
    static final double Z_SEN_INTERVAL = 1.645;
    static final double DECELERATION_RATIO = 0.7;
    /** Persistence: no span of this fraction of the window may hold more than the share below of the rise. */
    static final int PERSISTENCE_SPAN = 3;
    static final double PERSISTENCE_SHARE = 0.7;
    static final double MIN_THREAD_MEMORY_TAU = 0.3;
    /**
     * Practical significance for threads: over one window the thread floor must rise by at least
     * this many, and by this share of where it started. A steady service whose goroutine count
     * drifts by a handful is statistically "growing" yet leaks nothing worth a restart.
     */
    static final double MIN_THREAD_RISE = 10;
    /** Practical significance for memory: the floor must rise by 2 % of the limit over one window. */
    static final double MIN_MEMORY_RISE_FRACTION = 0.02;
    static final double MIN_THREAD_RISE_FRACTION = 0.1;
    /** A restart drop: the floor falls by a quarter and at least halfway back to the baseline. */
    static final double DROP_FRACTION = 0.25;
    static final int DROP_REFERENCE_BUCKETS = 3;
    /** Container start times differ by more than this mean a new container (clock granularity). */
    static final long START_JITTER_MILLIS = 1000;
    /** LEAKING must hold this share of the horizon before it is reported, so a passing burst is not acted on. */
    static final double CONFIRMATION_FRACTION = 0.2;


    private final DetectionSettings settings;
    private final long bucketMillis;
    private final int bucketsPerWindow;
    private final int erosionBuckets;
    private final int minPoints;
    private final long warmupMillis;
    private final double horizonSeconds;
    private final long confirmationMillis;

    // The ring of buckets: slot = bucket index mod capacity; bucketIndex[slot] says which bucket it holds.
    private final long[] bucketIndex;
    private final double[] floor;
    private final double[] peak;
    private final double[] threadFloor;
    private final int[] count;

    // Scratch for one assessment, reused so observe() does not allocate arrays.
    private final double[] bucketX;
    private final double[] bucketFloor;
    private final double[] bucketPeak;
    private final double[] bucketThreads;
    private final double[] x;
    private final double[] yFloor;
    private final double[] yThreads;
    // The fits of the closed buckets, valid while the open bucket is fittedOpenIndex.
    private long fittedOpenIndex = NONE;
    private int buckets;
    private int closedSamples;
    private int covered;
    private int points;
    private int half;
    private double fitQuality;
    private boolean threadsKnown;
    private boolean threadEvidence;
    private boolean corroborated;
    private boolean levelShift;
    private int lastBeforeShift;
    private int firstAfterShift;
    private boolean threadsSteady;
    private final double[] values;
    private final double[] ranks;
    private final double[] slopes;
    private final double[] interval = new double[2];
    private final Fit whole = new Fit();
    private final Fit earlier = new Fit();
    private final Fit recent = new Fit();
    private final Fit threadFit = new Fit();
    private final Fit aroundShift = new Fit();

    private static final long NONE = Long.MIN_VALUE;
    private long lastTimestamp = NONE;
    private long seriesStartMillis = NONE;
    private long originMillis = NONE;
    private long openIndex;
    private long containerStartMillis = -1;
    private int restartCount = -1;
    private double baselineFloor = Double.NaN;
    private long leakingSinceMillis = NONE;
    private Assessment current;

    FloorTrendDetector(DetectionSettings settings) {
        this.settings = settings;
        long windowMillis = settings.window().toMillis();
        this.bucketMillis = Math.max(settings.interval().toMillis(), Math.floorDiv(windowMillis, BUCKETS_PER_WINDOW));
        this.bucketsPerWindow = (int) Math.max(4, windowMillis / bucketMillis);
        this.erosionBuckets = Math.max(1, (int) Math.round(bucketsPerWindow * EROSION_FRACTION));
        this.minPoints = Math.max(MIN_POINTS_FLOOR, (int) Math.round(bucketsPerWindow * MIN_POINTS_FRACTION));
        this.warmupMillis = settings.warmup().toMillis();
        this.horizonSeconds = settings.horizon().toMillis() / 1000.0;
        this.confirmationMillis = Math.round(settings.horizon().toMillis() * CONFIRMATION_FRACTION);
        int capacity = bucketsPerWindow + 1;
        bucketIndex = new long[capacity];
        floor = new double[capacity];
        peak = new double[capacity];
        threadFloor = new double[capacity];
        count = new int[capacity];
        bucketX = new double[capacity];
        bucketFloor = new double[capacity];
        bucketPeak = new double[capacity];
        bucketThreads = new double[capacity];
        x = new double[capacity];
        yFloor = new double[capacity];
        yThreads = new double[capacity];
        values = new double[capacity];
        ranks = new double[capacity];
        slopes = new double[bucketsPerWindow * (bucketsPerWindow - 1) / 2];
        Arrays.fill(bucketIndex, NONE);
        current = new Assessment(Verdict.INSUFFICIENT_DATA, Double.NaN, settings.memoryLimitBytes(), Double.NaN,
                Double.NaN, Double.NaN, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, 0, 0, "no samples yet");
    }

    @Override
    public Assessment current() {
        return current;
    }

    @Override
    public Assessment observe(Sample sample) {
        long now = sample.timestampMillis();
        if (lastTimestamp != NONE && now <= lastTimestamp || !Double.isFinite(sample.memoryBytes())) {
            return current;
        }
        lastTimestamp = now;
        String restart = null;
        if (seriesStartMillis == NONE) {
            startSeries(now);
        } else if (isNewContainer(sample)) {
            startSeries(now);
            restart = "container restarted; new series. ";
        } else if (dropsToBaseline(sample.memoryBytes())) {
            startSeries(now);
            restart = "memory dropped to baseline (restart); new series. ";
        }
        if (sample.containerStartMillis() >= 0) {
            containerStartMillis = sample.containerStartMillis();
        }
        if (sample.restartCount() >= 0) {
            restartCount = sample.restartCount();
        }
        long warmupEnd = (containerStartMillis >= 0 ? containerStartMillis : seriesStartMillis) + warmupMillis;
        if (now < warmupEnd) {
            current = insufficient(sample, 0, prefix(restart) + "warming up, " + Format.duration((warmupEnd - now + 999) / 1000) + " left");
            return current;
        }
        add(sample);
        current = confirm(assess(sample, restart), now);
        return current;
    }

    /** Downgrades LEAKING to SUSPECT until it has held for the confirmation time. */
    private Assessment confirm(Assessment assessment, long now) {
        if (assessment.verdict() != Verdict.LEAKING) {
            leakingSinceMillis = NONE;
            return assessment;
        }
        if (leakingSinceMillis == NONE) {
            leakingSinceMillis = now;
        }
        if (now - leakingSinceMillis >= confirmationMillis) {
            return assessment;
        }
        return new Assessment(Verdict.SUSPECT, assessment.memoryBytes(), assessment.memoryLimitBytes(),
                assessment.memoryGrowthBytesPerSecond(), assessment.threads(), assessment.threadGrowthPerSecond(),
                assessment.secondsToLimit(), assessment.secondsToLimitLower(), assessment.fitQuality(),
                assessment.significance(), assessment.samples(), assessment.reason() + " (confirming)");
    }

    private boolean isNewContainer(Sample sample) {
        boolean newStart = sample.containerStartMillis() >= 0 && containerStartMillis >= 0
                && Math.abs(sample.containerStartMillis() - containerStartMillis) > START_JITTER_MILLIS;
        boolean newCount = sample.restartCount() >= 0 && restartCount >= 0 && sample.restartCount() != restartCount;
        return newStart || newCount;
    }

    private boolean dropsToBaseline(double memory) {
        if (Double.isNaN(baselineFloor)) {
            return false;
        }
        double reference = Double.POSITIVE_INFINITY;
        for (long index = openIndex - DROP_REFERENCE_BUCKETS; index < openIndex; index++) {
            int slot = slot(index);
            if (bucketIndex[slot] == index) {
                reference = Math.min(reference, floor[slot]);
            }
        }
        return reference < Double.POSITIVE_INFINITY
                && memory < reference * (1 - DROP_FRACTION)
                && memory <= baselineFloor + 0.5 * (reference - baselineFloor);
    }

    private void startSeries(long now) {
        seriesStartMillis = now;
        originMillis = NONE;
        baselineFloor = Double.NaN;
        leakingSinceMillis = NONE;
        fittedOpenIndex = NONE;
        Arrays.fill(bucketIndex, NONE);
    }

    private void add(Sample sample) {
        long now = sample.timestampMillis();
        if (originMillis == NONE) {
            originMillis = now;
            openIndex = 0;
        }
        long index = (now - originMillis) / bucketMillis;
        if (index != openIndex) {
            int closing = slot(openIndex);
            if (Double.isNaN(baselineFloor) && bucketIndex[closing] == openIndex) {
                baselineFloor = floor[closing];
            }
            openIndex = index;
        }
        int slot = slot(index);
        double memory = sample.memoryBytes();
        double threads = sample.threads();
        if (bucketIndex[slot] != index) {
            bucketIndex[slot] = index;
            floor[slot] = memory;
            peak[slot] = memory;
            threadFloor[slot] = threads;
            count[slot] = 1;
            return;
        }
        floor[slot] = Math.min(floor[slot], memory);
        peak[slot] = Math.max(peak[slot], memory);
        threadFloor[slot] = Double.isNaN(threadFloor[slot]) ? threads : Math.min(threadFloor[slot], threads);
        count[slot]++;
    }

    private int slot(long index) {
        return (int) Math.floorMod(index, (long) bucketIndex.length);
    }

    private Assessment assess(Sample sample, String restart) {
        if (fittedOpenIndex != openIndex) {
            refit();
            fittedOpenIndex = openIndex;
        }
        int samples = closedSamples + count[slot(openIndex)];
        if (covered < minPoints) {
            return insufficient(sample, samples, prefix(restart) + "collecting data, " + covered + " of " + minPoints
                    + " buckets of " + Durations.format(Duration.ofMillis(bucketMillis)));
        }
        double xNow = (sample.timestampMillis() - originMillis) / 1000.0;
        double significance = RobustStatistics.normalCdf((levelShift && !threadsSteady ? aroundShift : whole).z);
        double threadGrowth = threadsKnown ? threadFit.slope : Double.NaN;
        double zNeeded = corroborated ? Z_MEMORY_CORROBORATED : Z_MEMORY;
        boolean shifted = levelShift && !threadsSteady;
        Fit trend = shifted ? aroundShift : whole;
        boolean memoryEvidence = trend.slope > 0 && trend.z >= zNeeded && practicallySignificant(trend.slope, sample.memoryBytes());
        Judgement judgement = new Judgement(sample, samples, trend.slope, threadGrowth, fitQuality, significance);

        if (!memoryEvidence) {
            if (threadEvidence) {
                return judgement.verdict(Verdict.SUSPECT, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
                        prefix(restart) + "threads grow " + Format.countGrowth(threadGrowth) + "; the memory rise is not yet clear");
            }
            return judgement.verdict(Verdict.HEALTHY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
                    prefix(restart) + "no clear rise of the memory floor");
        }
        // Words, not p-values: the p-value is in analyze's JSON output, named for what it is.
        String evidence = prefix(restart) + "memory floor rises clearly, " + Format.growth(trend.slope)
                + (corroborated ? ", threads too" : "");
        double limit = settings.memoryLimitBytes();
        if (shifted) {
            evidence += " beside a level shift";
            if (!settings.limitKnown()) {
                return judgement.verdict(Verdict.SUSPECT, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
                        evidence + "; no memory limit known");
            }
            return project(judgement, aroundShift, limit, xNow, x[firstAfterShift], evidence);
        }
        boolean decelerating = earlier.slope > 0 && recent.slope < DECELERATION_RATIO * earlier.slope
                && recent.upper < earlier.slope;
        if (decelerating && !threadsSteady) {
            return judgePlateau(judgement, limit, xNow, evidence);
        }
        if (!(recent.slope > 0 && recent.z >= Z_HALF)) {
            return judgement.verdict(Verdict.SUSPECT, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
                    evidence + " but not in the recent half");
        }
        Fit projected = recent.slope > whole.slope ? recent : whole;
        if (!settings.limitKnown()) {
            return judgement.growth(projected.slope).verdict(Verdict.SUSPECT, Double.POSITIVE_INFINITY,
                    Double.POSITIVE_INFINITY, evidence + "; no memory limit known");
        }
        return project(judgement, projected, limit, xNow, Double.NEGATIVE_INFINITY, evidence);
    }

    /** Linear time to limit of the peaks: the floor line plus the peak excursion of buckets from {@code fromX} on. */
    private Assessment project(Judgement judgement, Fit fit, double limit, double xNow, double fromX, String evidence) {
        double headroom = limit - fit.at(xNow) - peakAbove(fit, fromX);
        double secondsToLimit = Math.max(0, headroom / fit.slope);
        double secondsToLimitLower = Math.max(0, headroom / Math.max(fit.upper, fit.slope));
        Verdict verdict = secondsToLimit <= horizonSeconds ? Verdict.LEAKING : Verdict.SUSPECT;
        return judgement.growth(fit.slope).verdict(verdict, secondsToLimit, secondsToLimitLower,
                evidence + "; peaks reach the limit in ~" + Format.duration(secondsToLimit));
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

    /**
     * Everything that depends only on closed buckets, recomputed when a bucket closes — once per
     * bucket, not per sample, which makes observe() O(1) amortised in the scrape rate.
     */
    private void refit() {
        buckets = gatherBuckets();
        closedSamples = 0;
        for (int i = 0; i < bucketIndex.length; i++) {
            if (bucketIndex[i] != NONE && bucketIndex[i] >= openIndex - bucketsPerWindow && bucketIndex[i] < openIndex) {
                closedSamples += count[i];
            }
        }
        covered = coveredBuckets(buckets);
        if (covered < minPoints) {
            return;
        }
        points = erodeFloors(buckets);
        whole.fit(x, yFloor, 0, points);
        fitQuality = RobustStatistics.rSquared(x, yFloor, 0, points, whole.intercept, whole.slope);
        half = points / 2;
        earlier.fit(x, yFloor, 0, half);
        recent.fit(x, yFloor, half, points);
        levelShift = concentratedRise(yFloor, points);
        if (levelShift) {
            aroundShift.fitAroundShift(x, yFloor, points, lastBeforeShift, firstAfterShift);
        }
        threadEvidence = false;
        corroborated = false;
        if (threadsKnown) {
            threadFit.fit(x, yThreads, 0, points);
            double riseOverWindow = threadFit.slope * settings.window().toMillis() / 1000.0;
            threadEvidence = threadFit.slope > 0 && threadFit.z >= Z_THREADS
                    && riseOverWindow >= Math.max(MIN_THREAD_RISE, MIN_THREAD_RISE_FRACTION * yThreads[0]);
            int before = lastBeforeShift;
            int after = firstAfterShift;
            threadsSteady = threadEvidence && !concentratedRise(yThreads, points);
            lastBeforeShift = before;
            firstAfterShift = after;
            corroborated = threadEvidence
                    && RobustStatistics.kendallTau(yThreads, yFloor, 0, points) >= MIN_THREAD_MEMORY_TAU;
            threadsSteady &= corroborated;
        }
    }

    /**
     * True when the series rises over the window but most of the rise happens in a short span:
     * more than {@value #PERSISTENCE_SHARE} of it within a {@value #PERSISTENCE_SPAN}-th of the
     * window. That is a level shift (a traffic burst rises within minutes, then stays flat), while
     * a leak rises all the time (under a slow GC sawtooth in stairs, but many of them). Leaves the
     * span in lastBeforeShift / firstAfterShift.
     */
    private boolean concentratedRise(double[] ys, int n) {
        int edge = Math.max(1, n / 8);
        System.arraycopy(ys, 0, values, 0, edge);
        double start = RobustStatistics.median(values, edge);
        System.arraycopy(ys, n - edge, values, 0, edge);
        double end = RobustStatistics.median(values, edge);
        double rise = end - start;
        if (!(rise > 0)) {
            return false;
        }
        int span = Math.max(1, n / PERSISTENCE_SPAN);
        double largestShortRise = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j <= Math.min(n - 1, i + span); j++) {
                if (ys[j] - ys[i] > largestShortRise) {
                    largestShortRise = ys[j] - ys[i];
                    lastBeforeShift = i;
                    firstAfterShift = j;
                }
            }
        }
        return largestShortRise > PERSISTENCE_SHARE * rise;
    }

    /**
     * Copies the closed buckets of the window, oldest first, into the bucket arrays (x = bucket
     * centre in seconds since the series origin); returns how many there are.
     */
    private int gatherBuckets() {
        int n = 0;
        threadsKnown = true;
        for (long index = openIndex - bucketsPerWindow; index < openIndex; index++) {
            int slot = slot(index);
            if (bucketIndex[slot] != index) {
                continue;
            }
            bucketX[n] = (index * 2 + 1) * bucketMillis / 2000.0;
            bucketFloor[n] = floor[slot];
            bucketPeak[n] = peak[slot];
            bucketThreads[n] = threadFloor[slot];
            threadsKnown &= !Double.isNaN(threadFloor[slot]);
            n++;
        }
        return n;
    }

    /**
     * The floor points: for each bucket with a full span behind it, the lowest bucket minimum in
     * the trailing {@value #EROSION_FRACTION} of the window (a morphological erosion), placed at
     * the start of that span, where a rising floor has its minimum (so the level does not lag). A
     * GC sawtooth shorter than the span reduces to its troughs, while a rising floor keeps its
     * slope. Returns the number of points written to x / yFloor / yThreads.
     */
    private int erodeFloors(int buckets) {
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
            for (int j = from; j <= i; j++) {
                memory = Math.min(memory, bucketFloor[j]);
                threads = Math.min(threads, bucketThreads[j]);
            }
            x[n] = bucketX[i] - span + bucketMillis / 1000.0;
            yFloor[n] = memory;
            yThreads[n] = threads;
            n++;
        }
        return n;
    }

    /** Buckets with a full erosion span behind them, i.e. how much of the window the floor covers. */
    private int coveredBuckets(int buckets) {
        double span = erosionBuckets * bucketMillis / 1000.0;
        int covered = 0;
        for (int i = 0; i < buckets; i++) {
            if (bucketX[i] - bucketX[0] >= span - bucketMillis / 1000.0) {
                covered++;
            }
        }
        return covered;
    }

    /**
     * Growth is slowing: model it as an exponential approach to a plateau. With half slopes
     * s1 &gt; s2 &gt; 0 whose centres are Δ apart, τ = Δ / ln(s1/s2); the floor will still grow by
     * s(now)·τ, and reaches a headroom h after −τ·ln(1 − h / (s(now)·τ)).
     */
    private Assessment judgePlateau(Judgement judgement, double limit, double xNow, String evidence) {
        if (recent.slope <= 0) {
            return judgement.verdict(Verdict.HEALTHY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
                    evidence + " but has levelled off");
        }
        double centreDistance = centre(half, points) - centre(0, half);
        double tau = centreDistance / Math.log(earlier.slope / recent.slope);
        double slopeNow = recent.slope * Math.exp(-(xNow - centre(half, points)) / tau);
        double remainingGrowth = slopeNow * tau;
        if (!settings.limitKnown()) {
            return judgement.growth(slopeNow).verdict(Verdict.HEALTHY, Double.POSITIVE_INFINITY,
                    Double.POSITIVE_INFINITY, evidence + " but is levelling off");
        }
        double headroom = limit - recent.at(xNow) - peakAbove(recent, Double.NEGATIVE_INFINITY);
        double secondsToLimitLower = Math.max(0, headroom / Math.max(recent.upper, recent.slope));
        if (headroom > 0 && remainingGrowth <= headroom) {
            return judgement.growth(slopeNow).verdict(Verdict.HEALTHY, Double.POSITIVE_INFINITY, secondsToLimitLower,
                    evidence + " but is levelling off about " + Format.bytes(remainingGrowth) + " higher, below the limit");
        }
        double secondsToLimit = headroom <= 0 ? 0 : -tau * Math.log(1 - headroom / remainingGrowth);
        Verdict verdict = secondsToLimit <= horizonSeconds ? Verdict.LEAKING : Verdict.SUSPECT;
        return judgement.growth(slopeNow).verdict(verdict, secondsToLimit, Math.min(secondsToLimit, secondsToLimitLower),
                evidence + ", slowing, but peaks still reach the limit in ~" + Format.duration(secondsToLimit));
    }

    private double centre(int from, int to) {
        return (x[from] + x[to - 1]) / 2;
    }

    /**
     * How far the peaks reach above the floor line: the highest excursion of the buckets from
     * {@code fromX} on (the open bucket's included). The OOM killer acts on the highest peak; a
     * quantile that discards the top let slow leaks reach the limit by a peak it had ignored.
     */
    private double peakAbove(Fit fit, double fromX) {
        double highest = peak[slot(openIndex)] - fit.at((openIndex * 2 + 1) * bucketMillis / 2000.0);
        for (int i = 0; i < buckets; i++) {
            if (bucketX[i] >= fromX) {
                highest = Math.max(highest, bucketPeak[i] - fit.at(bucketX[i]));
            }
        }
        return Math.max(0, highest);
    }

    private Assessment insufficient(Sample sample, int samples, String reason) {
        return new Assessment(Verdict.INSUFFICIENT_DATA, sample.memoryBytes(), settings.memoryLimitBytes(), Double.NaN,
                sample.threads(), Double.NaN, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, 0, samples, reason);
    }

    private static String prefix(String restart) {
        return restart == null ? "" : restart;
    }

    /** Bytes this detector keeps: its arrays (the ring and the scratch space) plus object headers. */
    long retainedBytes() {
        long arrays = 8L * (bucketIndex.length + floor.length + peak.length + threadFloor.length + bucketX.length
                + bucketFloor.length + bucketPeak.length + bucketThreads.length + x.length + yFloor.length
                + yThreads.length + values.length + ranks.length + slopes.length + interval.length)
                + 4L * count.length;
        long arrayHeaders = 16L * 16;
        long objects = 5 * 64 + 160; // the five Fit objects and the detector itself
        return arrays + arrayHeaders + objects;
    }

    int bucketsPerWindow() {
        return bucketsPerWindow;
    }

    /** The fields shared by every verdict of one assessment. */
    private final class Judgement {
        private final Sample sample;
        private final int samples;
        private double growth;
        private final double threadGrowth;
        private final double fitQuality;
        private final double significance;

        Judgement(Sample sample, int samples, double growth, double threadGrowth, double fitQuality, double significance) {
            this.sample = sample;
            this.samples = samples;
            this.growth = growth;
            this.threadGrowth = threadGrowth;
            this.fitQuality = fitQuality;
            this.significance = significance;
        }

        Judgement growth(double projectedGrowth) {
            this.growth = projectedGrowth;
            return this;
        }

        Assessment verdict(Verdict verdict, double secondsToLimit, double secondsToLimitLower, String reason) {
            return new Assessment(verdict, sample.memoryBytes(), settings.memoryLimitBytes(), growth, sample.threads(),
                    threadGrowth, secondsToLimit, secondsToLimitLower, fitQuality, significance, samples, reason);
        }
    }

    /** A Theil–Sen line with its Mann–Kendall z and Sen's interval; reused between samples. */
    private final class Fit {
        double slope;
        double intercept;
        double z;
        double upper;

        double at(double xs) {
            return intercept + slope * xs;
        }

        void fit(double[] xs, double[] ys, int from, int to) {
            int pairs = RobustStatistics.pairwiseSlopes(xs, ys, from, to, slopes);
            slope = pairs == 0 ? 0 : RobustStatistics.median(slopes, pairs);
            intercept = RobustStatistics.intercept(xs, ys, from, to, slope, values);
            double variance = RobustStatistics.mannKendallVariance(ys, from, to, values)
                    * RobustStatistics.autocorrelationFactor(xs, ys, from, to, intercept, slope, values, ranks);
            z = RobustStatistics.mannKendallZ(RobustStatistics.mannKendallS(ys, from, to), variance);
            upper = pairs == 0 ? slope : RobustStatistics.senInterval(slopes, pairs, variance, Z_SEN_INTERVAL, interval)[1];
        }

        /**
         * The trend beside a level shift between points {@code lastBefore} and {@code firstAfter}:
         * Theil–Sen over pairs within each regime, a Mann–Kendall S summed over the regimes with
         * the variances added (the seasonal Kendall test of Hirsch, Slack &amp; Smith 1982, the
         * regimes as seasons), and the level of the regime after the shift.
         */
        void fitAroundShift(double[] xs, double[] ys, int to, int lastBefore, int firstAfter) {
            int beforeEnd = lastBefore + 1;
            int pairs = RobustStatistics.pairwiseSlopesAroundShift(xs, ys, 0, beforeEnd, firstAfter, to, slopes);
            slope = pairs == 0 ? 0 : RobustStatistics.median(slopes, pairs);
            intercept = RobustStatistics.intercept(xs, ys, firstAfter, to, slope, values);
            long s = RobustStatistics.mannKendallS(ys, 0, beforeEnd) + RobustStatistics.mannKendallS(ys, firstAfter, to);
            double variance = RobustStatistics.mannKendallVariance(ys, 0, beforeEnd, values)
                    + RobustStatistics.mannKendallVariance(ys, firstAfter, to, values);
            z = RobustStatistics.mannKendallZ(s, variance);
            upper = pairs == 0 ? slope : RobustStatistics.senInterval(slopes, pairs, variance, Z_SEN_INTERVAL, interval)[1];
        }
    }
}
