package dev.leakguard.scrape.parse;

/**
 * What {@link PrometheusTextParser#extract} found for each selector, in the order the selectors
 * were given: the sum of the values of all matching series and how many series matched.
 */
public final class ExtractedValues {

    private final double[] sums;
    private final int[] matches;

    ExtractedValues(double[] sums, int[] matches) {
        this.sums = sums;
        this.matches = matches;
    }

    /** The number of selectors. */
    public int size() {
        return sums.length;
    }

    /** The sum over the series that selector {@code i} matched, or NaN when it matched none. */
    public double value(int i) {
        return matches[i] == 0 ? Double.NaN : sums[i];
    }

    /** How many series selector {@code i} matched. */
    public int matches(int i) {
        return matches[i];
    }

    public boolean found(int i) {
        return matches[i] > 0;
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("ExtractedValues[");
        for (int i = 0; i < sums.length; i++) {
            if (i > 0) {
                out.append(", ");
            }
            out.append(value(i)).append(" (").append(matches[i]).append(" series)");
        }
        return out.append(']').toString();
    }
}
