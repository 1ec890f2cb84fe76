package dev.leakguard.decide;

/**
 * Kubernetes' int-or-percent fields (maxSurge, maxUnavailable, minAvailable) scaled against a
 * total, rounding the way the controllers do ({@code intstr.GetScaledValueFromIntOrPercent}).
 */
public final class IntOrPercent {
    private IntOrPercent() {
    }

    /** {@code value} is "3" or "25%"; a percentage of {@code total} is rounded up or down as asked. */
    public static int scaled(String value, int total, boolean roundUp) {
        String text = value.trim();
        if (!text.endsWith("%")) {
            return Integer.parseInt(text);
        }
        int percent = Integer.parseInt(text.substring(0, text.length() - 1));
        long product = (long) percent * total;
        return (int) (roundUp ? (product + 99) / 100 : product / 100);
    }
}
