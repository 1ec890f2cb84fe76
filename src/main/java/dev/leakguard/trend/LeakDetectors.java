package dev.leakguard.trend;

/** Creates the detector the operator, the demo and {@code leakguard analyze} all use. */
public final class LeakDetectors {

    private LeakDetectors() {
    }

    public static LeakDetector create(DetectionSettings settings) {
        return new FloorTrendDetector(settings);
    }
}
