package dev.leakguard.trend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RobustStatisticsTest {

    private final double[] scratch = new double[1000];

    @Test
    void theilSenIgnoresOutliersThatDragLeastSquares() {
        double[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        double[] y = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19};
        y[7] = 500;
        y[2] = -300;
        assertThat(RobustStatistics.theilSenSlope(x, y, 0, x.length, scratch)).isEqualTo(2.0);
        assertThat(RobustStatistics.intercept(x, y, 0, x.length, 2.0, scratch)).isEqualTo(1.0);
    }

    @Test
    void slopesAroundAShiftIgnoreTheStep() {
        double[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        double[] y = {0, 1, 2, 3, 50, 80, 81, 82, 83, 84}; // slope 1, a level shift between points 3 and 5
        int pairs = RobustStatistics.pairwiseSlopesAroundShift(x, y, 0, 4, 5, x.length, scratch);
        assertThat(pairs).isEqualTo(6 + 10);
        assertThat(RobustStatistics.median(scratch, pairs)).isEqualTo(1.0);
        assertThat(RobustStatistics.theilSenSlope(x, y, 0, x.length, scratch)).isGreaterThan(5);
    }

    @Test
    void selectAgreesWithSorting() {
        Random random = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + random.nextInt(60);
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                values[i] = random.nextInt(10);
            }
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            int k = random.nextInt(n);
            assertThat(RobustStatistics.select(values.clone(), n, k)).isEqualTo(sorted[k]);
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            assertThat(RobustStatistics.median(values.clone(), n)).isEqualTo(median);
        }
    }

    @Test
    void mannKendallMatchesAHandComputedExampleWithTies() {
        // Gilbert (1987) style check: y = 1 2 2 3 5, S = 9 concordant - 0 discordant (one tie).
        double[] y = {1, 2, 2, 3, 5};
        assertThat(RobustStatistics.mannKendallS(y, 0, y.length)).isEqualTo(9);
        // n(n-1)(2n+5) = 5*4*15 = 300; one tie group of 2: 2*1*9 = 18; (300-18)/18.
        assertThat(RobustStatistics.mannKendallVariance(y, 0, y.length, scratch)).isCloseTo(282.0 / 18, within(1e-12));
        assertThat(RobustStatistics.mannKendallZ(9, 282.0 / 18)).isCloseTo(8 / Math.sqrt(282.0 / 18), within(1e-12));
    }

    @Test
    void senIntervalBracketsTheSlope() {
        Random random = new Random(5);
        int n = 30;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
            y[i] = 0.5 * i + random.nextGaussian();
        }
        int pairs = RobustStatistics.pairwiseSlopes(x, y, 0, n, scratch);
        double slope = RobustStatistics.median(scratch, pairs);
        double variance = RobustStatistics.mannKendallVariance(y, 0, n, new double[n]);
        double[] interval = RobustStatistics.senInterval(scratch, pairs, variance, 1.645, new double[2]);
        assertThat(interval[0]).isLessThan(slope);
        assertThat(interval[1]).isGreaterThan(slope);
        assertThat(interval[0]).isLessThan(0.5);
        assertThat(interval[1]).isGreaterThan(0.5);
    }

    @Test
    void autocorrelationInflatesTheVarianceOfAPeriodicSeriesOnly() {
        int n = 30;
        double[] x = new double[n];
        double[] periodic = new double[n];
        double[] white = new double[n];
        Random random = new Random(11);
        for (int i = 0; i < n; i++) {
            x[i] = i;
            periodic[i] = i % 10;
            white[i] = random.nextGaussian();
        }
        double[] a = new double[n];
        double[] b = new double[n];
        assertThat(RobustStatistics.autocorrelationFactor(x, periodic, 0, n, 4.5, 0, a, b)).isGreaterThan(1.5);
        assertThat(RobustStatistics.autocorrelationFactor(x, white, 0, n, 0, 0, a, b)).isLessThan(1.5);
    }

    @Test
    void normalCdfIsAccurate() {
        assertThat(RobustStatistics.normalCdf(0)).isCloseTo(0.5, within(1e-7));
        assertThat(RobustStatistics.normalCdf(1.959964)).isCloseTo(0.975, within(1e-6));
        assertThat(RobustStatistics.normalCdf(-2.326348)).isCloseTo(0.01, within(1e-6));
    }

    @Test
    void expectedMaximumOfNormalsMatchesTheExactOrderStatistics() {
        // Exact E[max of n standard normals] (Harter 1961): 0.5642, 1.0294, 1.5388, 2.5076.
        assertThat(RobustStatistics.expectedMaximumOfNormals(1)).isZero();
        assertThat(RobustStatistics.expectedMaximumOfNormals(2)).isCloseTo(0.5642, within(0.03));
        assertThat(RobustStatistics.expectedMaximumOfNormals(4)).isCloseTo(1.0294, within(0.02));
        assertThat(RobustStatistics.expectedMaximumOfNormals(10)).isCloseTo(1.5388, within(0.01));
        assertThat(RobustStatistics.expectedMaximumOfNormals(100)).isCloseTo(2.5076, within(0.01));
    }
}
