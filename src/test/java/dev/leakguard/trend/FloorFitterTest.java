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
}
