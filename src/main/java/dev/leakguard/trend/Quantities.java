package dev.leakguard.trend;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes resource quantities for memory: 512Mi, 1.5Gi, 500M, 1e9, 1048576. */
public final class Quantities {
    private static final Pattern QUANTITY = Pattern.compile("^([0-9]+(?:\\.[0-9]+)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$");

    private Quantities() {
    }

    public static double parseBytes(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("quantity is empty (expected e.g. 512Mi)");
        }
        Matcher m = QUANTITY.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid quantity '" + text + "' (expected e.g. 512Mi, 1Gi, 500M)");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String suffix = m.group(2);
        if (suffix == null) {
            return number.doubleValue();
        }
        if (suffix.startsWith("e") || suffix.startsWith("E")) {
            return number.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1))).doubleValue();
        }
        double factor = switch (suffix) {
            case "Ki" -> 0x1p10;
            case "Mi" -> 0x1p20;
            case "Gi" -> 0x1p30;
            case "Ti" -> 0x1p40;
            case "Pi" -> 0x1p50;
            case "Ei" -> 0x1p60;
            case "k" -> 1e3;
            case "M" -> 1e6;
            case "G" -> 1e9;
            case "T" -> 1e12;
            case "P" -> 1e15;
            default -> 1e18;
        };
        return number.doubleValue() * factor;
    }
}
