package dev.leakguard.decide;

import java.util.Locale;

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
        String number = value >= 100 || unit == 0 ? String.format(Locale.ROOT, "%.0f", value)
                : value >= 10 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.2f", value);
        number = stripZeros(number);
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

    /** 45s, 14m, 2h5m, 3d4h; "never" for +Inf. Rounded to the unit below the largest so it changes slowly. */
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
        return (hours / 24) + "d" + (hours % 24 == 0 ? "" : (hours % 24) + "h");
    }

    /** A count rate per minute, e.g. +12/min goroutines. */
    public static String countGrowth(double perSecond) {
        if (Double.isNaN(perSecond)) {
            return "unknown";
        }
        double perMinute = perSecond * 60;
        String number = stripZeros(String.format(Locale.ROOT, Math.abs(perMinute) >= 10 ? "%.0f" : "%.2f", perMinute));
        return (perMinute >= 0 ? "+" : "") + number + "/min";
    }

    private static String stripZeros(String number) {
        if (!number.contains(".")) {
            return number;
        }
        String stripped = number.replaceAll("0+$", "");
        return stripped.endsWith(".") ? stripped.substring(0, stripped.length() - 1) : stripped;
    }
}
