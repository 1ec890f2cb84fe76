package dev.leakguard.trend;

import dev.leakguard.policy.Durations;
import dev.leakguard.text.Format;
import java.time.Duration;

/**
 * The leak detector: a robust trend of the memory <em>floor</em>, projected against the
 * <em>peaks</em> (the method and its sources: docs/detection.md). Samples go into a
 * {@link BucketRing} of {@value #BUCKETS_PER_WINDOW} buckets per window; a
 * {@link SeriesResetDetector} starts a new series on a restart; when a bucket closes the
 * {@link FloorFitter} fits the closed buckets once ({@link FloorFit}), and every sample is judged
 * against that fit and its open bucket by the {@link TrendJudge}. {@link Verdict#LEAKING} is
 * reported once it has held for {@value #CONFIRMATION_FRACTION} of the horizon. A fit is O(B²) for
 * B buckets; other samples are O(1), whatever the window length and the scrape rate.
 */
final class FloorTrendDetector implements LeakDetector {

    static final int BUCKETS_PER_WINDOW = 30;
    /** LEAKING must hold this share of the horizon before it is reported, so a passing burst is not acted on. */
    static final double CONFIRMATION_FRACTION = 0.2;
    static final int LONG_VIEW_WINDOWS = 4;
    /** With overwhelming evidence ({@link #overwhelming}) LEAKING needs this share of the confirmation time. */
    static final double OVERWHELMING_CONFIRMATION_SHARE = 0.5;
    static final double OVERWHELMING_Z_FACTOR = 1.5;
    /**
     * While the floor covers less than this share of the window (the first window after warm-up),
     * LEAKING must hold {@value #YOUNG_CONFIRMATION_FACTOR} times the confirmation time (round 8):
     * a warm-up slower than the configured warm-up rises as straight as a leak over the few floor
     * points there are, and only its slowing down, minutes later, tells them apart. Not after a
     * scrape gap in an older series, whose long view has its floor (round 9): the window is short of
     * floor points then too, but the series is not young, and a leak seen across the gap is near its limit.
     */
    static final double YOUNG_WINDOW_SHARE = 0.7;
    static final int YOUNG_CONFIRMATION_FACTOR = 2;
    private static final long NONE = Long.MIN_VALUE;

    private final DetectionSettings settings;
    private final long warmupMillis;
    private final long confirmationMillis;
    private final BucketRing buckets;
    /** The same samples in buckets {@value #LONG_VIEW_WINDOWS} times wider: the floor over several windows. */
    private final BucketRing longView;
    private final SeriesResetDetector resets = new SeriesResetDetector();
    private final FloorFitter fitter;
    private final TrendJudge judge;

    private long lastTimestamp = NONE;
    private long seriesStartMillis = NONE;
    private long leakingSinceMillis = NONE;
    /** The fits of the closed buckets, valid while the open bucket is {@code fittedOpenIndex} (of the long view: {@code longFittedOpenIndex}). */
    private FloorFit fit;
    private FloorFit longFit;
    private long fittedOpenIndex = NONE;
    private long longFittedOpenIndex = NONE;
    private Assessment current;
    /**
     * The highest excursion of the peaks above the long view's floor line seen in this series: how
     * high traffic bursts go above the floor, remembered after they leave the long view.
     */
    private double burstExcursion;

    FloorTrendDetector(DetectionSettings settings) {
        this.settings = settings;
        long windowMillis = settings.window().toMillis();
        long bucketMillis = Math.max(settings.interval().toMillis(), Math.floorDiv(windowMillis, BUCKETS_PER_WINDOW));
        int bucketsPerWindow = (int) Math.max(4, windowMillis / bucketMillis);
        this.buckets = new BucketRing(bucketMillis, bucketsPerWindow);
        this.longView = new BucketRing(bucketMillis * LONG_VIEW_WINDOWS, bucketsPerWindow);
        this.fitter = new FloorFitter(settings, bucketsPerWindow);
        this.judge = new TrendJudge(settings, bucketsPerWindow);
        this.warmupMillis = settings.warmup().toMillis();
        this.confirmationMillis = Math.round(settings.horizon().toMillis() * CONFIRMATION_FRACTION);
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
        } else {
            restart = resets.resetReason(sample, buckets);
            if (restart != null) {
                startSeries(now);
            }
        }
        resets.remember(sample);
        long warmupEnd = resets.warmupEnd(seriesStartMillis, warmupMillis);
        if (now < warmupEnd) {
            current = new Judgement(settings, sample, 0, restart)
                    .insufficient("warming up, " + Format.duration((warmupEnd - now + 999) / 1000) + " left");
            return current;
        }
        resets.bucketClosed(buckets.add(now, sample.memoryBytes(), sample.threads()));
        longView.add(now, sample.memoryBytes(), sample.threads());
        current = confirm(assess(sample, restart), now);
        return current;
    }

    private Assessment assess(Sample sample, String restart) {
        if (fittedOpenIndex != buckets.openIndex()) {
            fit = fitter.fit(buckets);
            fittedOpenIndex = buckets.openIndex();
        }
        if (longFittedOpenIndex != longView.openIndex()) {
            longFit = fitter.fit(longView);
            longFittedOpenIndex = longView.openIndex();
            if (longFit.enough()) {
                burstExcursion = Math.max(burstExcursion, longFit.peakAbove(longFit.whole(), Double.NEGATIVE_INFINITY, 0));
            }
        }
        int samples = fit.closedSamples() + buckets.openCount();
        if (!fit.enough()) {
            // A gap is not evidence of health: while the window refills, the long view judges (round 9).
            Assessment acrossGap = longFit.enough()
                    ? judge.judgeAcrossGap(sample, longFit, longView, samples, restart, burstExcursion) : null;
            if (acrossGap != null) {
                return acrossGap;
            }
            return new Judgement(settings, sample, samples, restart).insufficient("collecting data, " + fit.covered()
                    + " of " + fitter.minPoints() + " buckets of " + Durations.format(Duration.ofMillis(buckets.bucketMillis())));
        }
        return judge.judge(sample, fit, buckets, longFit, longView, samples, restart, burstExcursion);
    }

    /** Downgrades LEAKING to SUSPECT until it has held for the confirmation time (longer in a young series' first window). */
    private Assessment confirm(Assessment assessment, long now) {
        if (assessment.verdict() != Verdict.LEAKING) {
            leakingSinceMillis = NONE;
            return assessment;
        }
        if (leakingSinceMillis == NONE) {
            leakingSinceMillis = now;
        }
        long needed = overwhelming() ? Math.round(confirmationMillis * OVERWHELMING_CONFIRMATION_SHARE) : confirmationMillis;
        if (fit.covered() < YOUNG_WINDOW_SHARE * buckets.bucketsPerWindow() && !longFit.enough()) {
            needed *= YOUNG_CONFIRMATION_FACTOR;
        }
        if (now - leakingSinceMillis >= needed) {
            return assessment;
        }
        return new Assessment(Verdict.SUSPECT, assessment.memoryBytes(), assessment.memoryLimitBytes(),
                assessment.memoryGrowthBytesPerSecond(), assessment.threads(), assessment.threadGrowthPerSecond(),
                assessment.secondsToLimit(), assessment.secondsToLimitLower(), assessment.fitQuality(),
                assessment.significance(), assessment.samples(), assessment.reason() + " (confirming)");
    }

    /**
     * Evidence far past the thresholds: the window's floor rises at {@value #OVERWHELMING_Z_FACTOR}
     * times the z memory alone needs, and the long view, which looks four times further back, rises
     * significantly too, without a level shift. Two scales agreeing is what a burst cannot fake.
     */
    private boolean overwhelming() {
        return fit.enough() && fit.whole().z() >= OVERWHELMING_Z_FACTOR * TrendJudge.Z_MEMORY
                && longFit.enough() && longFit.whole().risesAt(TrendJudge.Z_MEMORY) && !longFit.levelShift();
    }

    private void startSeries(long now) {
        seriesStartMillis = now;
        burstExcursion = 0;
        leakingSinceMillis = NONE;
        fittedOpenIndex = NONE;
        longFittedOpenIndex = NONE;
        resets.startSeries();
        buckets.clear();
        longView.clear();
    }

    /** Bytes this detector keeps: the ring, the fitter's scratch space, the latest fit and its own objects. */
    long retainedBytes() {
        long objects = 168 + 48 + 64; // the detector, the reset detector and the fitter
        return buckets.retainedBytes() + longView.retainedBytes() + fitter.retainedBytes() + judge.retainedBytes()
                + 2 * FloorFit.retainedBytes(buckets.bucketsPerWindow()) + objects;
    }

    int bucketsPerWindow() {
        return buckets.bucketsPerWindow();
    }
}
