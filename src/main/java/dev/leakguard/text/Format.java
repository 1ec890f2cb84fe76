package dev.leakguard.text;

/** Human-readable numbers for annotations, status and Events; rounded so they change only when it matters. */
public final class Format {
    private static final String[] BINARY_UNITS = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};

    private Format() {
    }

    /** 412Mi, 1.5Gi, 900 — two or three significant digits, binary units like Kubernetes quantities. */
    public static String bytes(double bytes) {
        if (Double.isNaN(bytes)) {
            return "unknown";
        }
        if (Double.isInfinite(bytes)) {
            return bytes > 0 ? "+Inf" : "-Inf";
        }
        double value = Math.abs(bytes);
        int unit = 0;
        while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        String number = decimals(value, value >= 100 || unit == 0 ? 0 : value >= 10 ? 1 : 2);
        return (bytes < 0 ? "-" : "") + number + BINARY_UNITS[unit];
    }

    /** A memory growth rate per minute, e.g. +1.2Mi/min. */
    public static String growth(double bytesPerSecond) {
        if (Double.isNaN(bytesPerSecond)) {
            return "unknown";
        }
        double perMinute = bytesPerSecond * 60;
        return (perMinute >= 0 ? "+" : "") + bytes(perMinute) + "/min";
    }

    /**
     * 45s, 14m, 2h5m, 76h; "never" for +Inf. Rounded to the unit below the largest so it changes slowly.
     * No days: the policy's durations have no d unit, so a message never shows one a user could not write.
     */
    public static String duration(double seconds) {
        if (Double.isNaN(seconds)) {
            return "unknown";
        }
        if (Double.isInfinite(seconds)) {
            return "never";
        }
        long s = Math.max(0, Math.round(seconds));
        if (s < 60) {
            return s + "s";
        }
        long minutes = s / 60;
        if (minutes < 60) {
            return minutes + "m";
        }
        long hours = minutes / 60;
        if (hours < 48) {
            return hours + "h" + (minutes % 60 == 0 ? "" : (minutes % 60) + "m");
        }
        return hours + "h";
    }

    /** A count rate per minute, e.g. +12/min goroutines. */
    public static String countGrowth(double perSecond) {
        if (Double.isNaN(perSecond)) {
            return "unknown";
        }
        double perMinute = perSecond * 60;
        String number = decimals(Math.abs(perMinute), Math.abs(perMinute) >= 10 ? 0 : 2);
        return (perMinute >= 0 ? "+" : "-") + number + "/min";
    }

    /**
     * A non-negative value rounded half-up to {@code digits} decimals without trailing zeros. Not
     * String.format: the detector builds its reason with these on every sample, and String.format
     * costs microseconds.
     */
    private static String decimals(double value, int digits) {
        long scale = digits == 0 ? 1 : digits == 1 ? 10 : 100;
        long scaled = Math.round(value * scale);
        StringBuilder text = new StringBuilder().append(scaled / scale);
        long fraction = scaled % scale;
        if (fraction != 0) {
            int width = digits;
            while (fraction % 10 == 0) {
                fraction /= 10;
                width--;
            }
            String fractionDigits = Long.toString(fraction);
            text.append('.').append("0".repeat(width - fractionDigits.length())).append(fractionDigits);
        }
        return text.toString();
    }
}
