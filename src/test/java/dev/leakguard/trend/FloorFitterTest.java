package dev.leakguard.trend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FloorFitterTest {

    private static final double LIMIT = 1024 * 1024 * 1024.0;
    private static final DetectionSettings SETTINGS = DetectionSettings.defaults(LIMIT);

    /** Fits a 30 m window of 15 s samples whose floor follows {@code floor} (fraction of the limit per second). */
    private static FloorFit fitWindow(java.util.function.DoubleUnaryOperator floor) {
        BucketRing ring = new BucketRing(60_000, 30);
        for (int k = 0; k <= 31 * 4; k++) {
            double t = k * 15;
            double saw = 0.05 * ((t / 60) % 1.0);
            ring.add((long) (t * 1000), (floor.applyAsDouble(t) + saw) * LIMIT, 40);
        }
        return new FloorFitter(SETTINGS, 30).fit(ring);
    }

    @Test
    void aRiseThatBeganInsideTheWindowIsFittedFromItsOnset() {
        // Flat for 17 minutes, then 20 % of the limit per hour: the window's line is diluted by the flat part.
        double slope = 0.2 / 3600;
        FloorFit fit = fitWindow(t -> 0.4 + slope * Math.max(0, t - 17 * 60));
        assertThat(fit.sinceOnset()).isNotNull();
        assertThat(fit.sinceOnset().slope() / LIMIT).isCloseTo(slope, within(slope * 0.15));
        assertThat(fit.whole().slope()).isLessThan(fit.sinceOnset().slope() * 0.8);
        assertThat(fit.recent().slope()).isLessThan(fit.sinceOnset().slope() * 0.95);
    }

    @Test
    void aSlowingRiseHasNoOnset() {
        assertThat(fitWindow(t -> 0.4 + 0.2 * (1 - Math.exp(-t / 900))).sinceOnset()).isNull();
    }

    @Test
    void aSlowingRiseIsFittedAsAnApproachToAPlateauWithItsTimeConstant() {
        FloorFit fit = fitWindow(t -> 0.4 + 0.3 * (1 - Math.exp(-t / 600)));
        assertThat(fit.plateauTau()).isCloseTo(600, within(120.0));
    }

    @Test
    void aSteadyRiseHasNoPlateau() {
        assertThat(fitWindow(t -> 0.4 + 0.2 * t / 3600).plateauTau()).isNaN();
    }

    /**
     * Round 9: the minimum of fewer noisy samples lies higher. A flat floor with 2 % noise whose last
     * half loses three scrapes in four read as a rise past the memory-alone test in 16 of 40 draws (a
     * flat floor scraped fully: 3); compared like with like (each floor point brought to the typical
     * span's sample count), in 4.
     */
    @Test
    void lostScrapesDoNotRaiseAFlatFloor() {
        assertThat(flatFloorsRisingClearly(true)).isLessThanOrEqualTo(flatFloorsRisingClearly(false) + 3);
    }

    /** Of 40 flat noisy floors, how many rise past the memory-alone test, the last half losing 3 scrapes in 4 or not. */
    private static int flatFloorsRisingClearly(boolean loseScrapes) {
        int risesClearly = 0;
        for (int seed = 0; seed < 40; seed++) {
            java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
            BucketRing ring = new BucketRing(60_000, 30);
            for (int k = 0; k <= 31 * 4; k++) {
                double memory = (0.5 + 0.02 * random.nextGaussian()) * LIMIT;
                if (!loseScrapes || k <= 15 * 4 || k % 4 == 0) {
                    ring.add(k * 15_000L, memory, 40);
                }
            }
            TrendLine whole = new FloorFitter(SETTINGS, 30).fit(ring).whole();
            if (whole.risesAt(TrendJudge.Z_MEMORY) && whole.slope() * 1800 >= TrendJudge.MIN_MEMORY_RISE_FRACTION * LIMIT) {
                risesClearly++;
            }
        }
        return risesClearly;
    }
}
