package dev.leakguard.trend;

/**
 * A Theil–Sen line with its Mann–Kendall z and the upper end of Sen's slope interval.
 *
 * @param slope     units per second
 * @param intercept value at x = 0 (the series' origin)
 * @param z         Mann–Kendall z of the rise
 * @param upper     pessimistic (high) slope
 */
record TrendLine(double slope, double intercept, double z, double upper) {

    double at(double x) {
        return intercept + slope * x;
    }

    /** Rises, significantly at the given z. */
    boolean risesAt(double zNeeded) {
        return slope > 0 && z >= zNeeded;
    }
}
