package dev.leakguard.trend;

import java.util.Arrays;

/**
 * Small nonparametric statistics on primitive arrays, allocation-free (callers pass scratch
 * space). Ranges are half-open {@code [from, to)}.
 *
 * <ul>
 *   <li>Theil–Sen slope: the median of all pairwise slopes (Theil 1950; Sen 1968, "Estimates of
 *       the regression coefficient based on Kendall's tau", JASA 63). Breakdown point ~29 %, so
 *       GC peaks, bursts and outliers do not drag it.</li>
 *   <li>Mann–Kendall trend test with the tie correction of the variance (Mann 1945; Kendall 1975;
 *       Gilbert 1987, "Statistical Methods for Environmental Pollution Monitoring", ch. 16).</li>
 *   <li>Sen's nonparametric confidence interval for the slope, from the same variance
 *       (Gilbert 1987, §16.5.1).</li>
 *   <li>The Hamed–Rao variance correction for autocorrelated data (Hamed &amp; Rao 1998, "A modified
 *       Mann-Kendall trend test for autocorrelated data", J. Hydrology 204): a GC sawtooth slower
 *       than a bucket makes neighbouring floors alike, which the plain test mistakes for a trend.</li>
 * </ul>
 */
final class RobustStatistics {

    private RobustStatistics() {
    }

    /** Writes all pairwise slopes {@code (y[j]-y[i])/(x[j]-x[i])}, {@code i<j}, to scratch; returns their count. */
    static int pairwiseSlopes(double[] x, double[] y, int from, int to, double[] scratch) {
        int count = 0;
        for (int i = from; i < to; i++) {
            for (int j = i + 1; j < to; j++) {
                double dx = x[j] - x[i];
                if (dx > 0) {
                    scratch[count++] = (y[j] - y[i]) / dx;
                }
            }
        }
        return count;
    }

    /**
     * Pairwise slopes within two regimes, {@code [from, beforeEnd)} and {@code [afterStart, to)},
     * none across the level shift between them: the slope of a trend that a step does not drag
     * (the within-block pairs of Hirsch, Slack &amp; Smith 1982, with regimes as the blocks).
     */
    static int pairwiseSlopesAroundShift(double[] x, double[] y, int from, int beforeEnd, int afterStart, int to,
                                         double[] scratch) {
        int count = pairwiseSlopes(x, y, from, beforeEnd, scratch);
        int after = to - afterStart;
        if (after < 2) {
            return count;
        }
        for (int i = afterStart; i < to; i++) {
            for (int j = i + 1; j < to; j++) {
                double dx = x[j] - x[i];
                if (dx > 0) {
                    scratch[count++] = (y[j] - y[i]) / dx;
                }
            }
        }
        return count;
    }

    /** Theil–Sen slope; leaves the pairwise slopes (partially ordered) in scratch. NaN if fewer than 2 points. */
    static double theilSenSlope(double[] x, double[] y, int from, int to, double[] scratch) {
        int count = pairwiseSlopes(x, y, from, to, scratch);
        return count == 0 ? Double.NaN : median(scratch, count);
    }

    /** The intercept that goes with a slope: the median of {@code y - slope * x} (Conover's estimator). */
    static double intercept(double[] x, double[] y, int from, int to, double slope, double[] scratch) {
        int n = to - from;
        for (int i = 0; i < n; i++) {
            scratch[i] = y[from + i] - slope * x[from + i];
        }
        return median(scratch, n);
    }

    /** Median of the first n values; reorders them. */
    static double median(double[] values, int n) {
        if (n % 2 == 1) {
            return select(values, n, n / 2);
        }
        double upper = select(values, n, n / 2);
        double lower = select(values, n / 2, n / 2 - 1); // after selecting n/2, all smaller values sit left of it
        return (lower + upper) / 2;
    }

    /** The k-th smallest (0-based) of the first n values, by Hoare's quickselect; reorders them. */
    static double select(double[] values, int n, int k) {
        int left = 0;
        int right = n - 1;
        while (left < right) {
            double pivot = medianOfThree(values[left], values[(left + right) >>> 1], values[right]);
            int i = left;
            int j = right;
            while (i <= j) {
                while (values[i] < pivot) {
                    i++;
                }
                while (values[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    double swap = values[i];
                    values[i] = values[j];
                    values[j] = swap;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                right = j;
            } else if (k >= i) {
                left = i;
            } else {
                return values[k];
            }
        }
        return values[k];
    }

    private static double medianOfThree(double a, double b, double c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    /** Mann–Kendall S: concordant minus discordant pairs in time order. */
    static long mannKendallS(double[] y, int from, int to) {
        long s = 0;
        for (int i = from; i < to; i++) {
            for (int j = i + 1; j < to; j++) {
                s += Double.compare(y[j], y[i]) > 0 ? 1 : (y[j] == y[i] ? 0 : -1);
            }
        }
        return s;
    }

    /** Var(S) with the tie correction {@code [n(n-1)(2n+5) - Σ t(t-1)(2t+5)] / 18}; uses scratch. */
    static double mannKendallVariance(double[] y, int from, int to, double[] scratch) {
        int n = to - from;
        System.arraycopy(y, from, scratch, 0, n);
        Arrays.sort(scratch, 0, n);
        double ties = 0;
        int run = 1;
        for (int i = 1; i <= n; i++) {
            if (i < n && scratch[i] == scratch[i - 1]) {
                run++;
            } else {
                ties += (double) run * (run - 1) * (2 * run + 5);
                run = 1;
            }
        }
        return ((double) n * (n - 1) * (2 * n + 5) - ties) / 18.0;
    }

    /** The standard normal score of S with the continuity correction. */
    static double mannKendallZ(long s, double variance) {
        if (variance <= 0 || s == 0) {
            return 0;
        }
        return (s > 0 ? s - 1 : s + 1) / Math.sqrt(variance);
    }

    /**
     * Sen's confidence interval for the slope, from {@code count} pairwise slopes in scratch:
     * {@code C = z·sqrt(Var S)}, lower = the {@code (count - C)/2}-th, upper = the
     * {@code ((count + C)/2 + 1)}-th smallest slope (1-based ranks). Returns {lower, upper}.
     */
    static double[] senInterval(double[] slopes, int count, double variance, double z, double[] result) {
        double c = z * Math.sqrt(Math.max(variance, 0));
        int lowerRank = (int) Math.round((count - c) / 2);
        int upperRank = (int) Math.round((count + c) / 2) + 1;
        result[0] = select(slopes, count, clamp(lowerRank - 1, count));
        result[1] = select(slopes, count, clamp(upperRank - 1, count));
        return result;
    }

    private static int clamp(int index, int count) {
        return Math.max(0, Math.min(count - 1, index));
    }

    /**
     * Hamed–Rao factor {@code n/n*} by which serial correlation inflates Var(S): the ranks of the
     * detrended values are autocorrelated at each lag k, and the lags significant at 5 % add
     * {@code 2/(n(n-1)(n-2)) · Σ (n-k)(n-k-1)(n-k-2)·ρ_k}. Never below 1, so it only makes the test
     * more cautious. Uses the two scratch arrays.
     */
    static double autocorrelationFactor(double[] x, double[] y, int from, int to, double intercept, double slope,
                                        double[] residuals, double[] ranks) {
        int n = to - from;
        if (n < 4) {
            return 1;
        }
        for (int i = 0; i < n; i++) {
            residuals[i] = y[from + i] - (intercept + slope * x[from + i]);
        }
        for (int i = 0; i < n; i++) {
            double rank = 1;
            for (int j = 0; j < n; j++) {
                rank += residuals[j] < residuals[i] ? 1 : residuals[j] == residuals[i] && j != i ? 0.5 : 0;
            }
            ranks[i] = rank;
        }
        double meanRank = (n + 1) / 2.0;
        double denominator = 0;
        for (int i = 0; i < n; i++) {
            denominator += (ranks[i] - meanRank) * (ranks[i] - meanRank);
        }
        if (denominator == 0) {
            return 1;
        }
        double threshold = 1.96 / Math.sqrt(n);
        double sum = 0;
        for (int lag = 1; lag < n - 2; lag++) {
            double numerator = 0;
            for (int i = 0; i + lag < n; i++) {
                numerator += (ranks[i] - meanRank) * (ranks[i + lag] - meanRank);
            }
            double rho = numerator / denominator;
            if (Math.abs(rho) > threshold) {
                sum += (double) (n - lag) * (n - lag - 1) * (n - lag - 2) * rho;
            }
        }
        return Math.max(1, 1 + 2 * sum / ((double) n * (n - 1) * (n - 2)));
    }

    /** Kendall's tau-a between two series of the same length. */
    static double kendallTau(double[] a, double[] b, int from, int to) {
        int n = to - from;
        if (n < 2) {
            return 0;
        }
        long concordance = 0;
        for (int i = from; i < to; i++) {
            for (int j = i + 1; j < to; j++) {
                concordance += (long) Math.signum(a[j] - a[i]) * (long) Math.signum(b[j] - b[i]);
            }
        }
        return concordance / (n * (n - 1) / 2.0);
    }

    /**
     * The expected maximum of {@code n} independent standard normal draws (by symmetry minus their
     * expected minimum): Blom's (1958) approximation Φ⁻¹((n − 0.375) / (n + 0.25)), with the upper
     * quantile from Abramowitz &amp; Stegun 26.2.23 (|error| &lt; 4.5e-4). 0 for a single draw.
     */
    static double expectedMaximumOfNormals(int n) {
        if (n <= 1) {
            return 0;
        }
        double tail = 0.625 / (n + 0.25);
        double t = Math.sqrt(-2 * Math.log(tail));
        return t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
    }

    /** Standard normal CDF, via the complementary error function (Numerical Recipes' erfcc, |error| < 1.2e-7). */
    static double normalCdf(double z) {
        return 1 - 0.5 * erfc(z / Math.sqrt(2));
    }

    private static double erfc(double x) {
        double t = 1 / (1 + 0.5 * Math.abs(x));
        double r = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /** Coefficient of determination of the line {@code a + b·x}, clamped to 0..1. */
    static double rSquared(double[] x, double[] y, int from, int to, double intercept, double slope) {
        double mean = 0;
        for (int i = from; i < to; i++) {
            mean += y[i];
        }
        mean /= to - from;
        double residual = 0;
        double total = 0;
        for (int i = from; i < to; i++) {
            double fitted = intercept + slope * x[i];
            residual += (y[i] - fitted) * (y[i] - fitted);
            total += (y[i] - mean) * (y[i] - mean);
        }
        return total == 0 ? 0 : Math.max(0, Math.min(1, 1 - residual / total));
    }
}
