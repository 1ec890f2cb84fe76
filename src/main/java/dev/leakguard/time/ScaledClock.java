package dev.leakguard.time;

import java.time.Instant;

/**
 * The operator's one clock. Live it is the wall clock; in the demo it runs faster than real time
 * (e.g. one simulated minute per real second) so that a leak which takes an hour to develop is
 * detected within a minute. Everything that reads time or waits for time goes through one instance,
 * so simulated pods, the detector, annotations and Events agree on "now".
 */
public final class ScaledClock {
    private final long simulatedStartMillis;
    private final long realStartNanos;
    private final double speed;

    private ScaledClock(long simulatedStartMillis, double speed) {
        if (!(speed > 0) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("clock speed must be a positive finite number, got " + speed);
        }
        this.simulatedStartMillis = simulatedStartMillis;
        this.realStartNanos = System.nanoTime();
        this.speed = speed;
    }

    /** Wall-clock time, real speed. */
    public static ScaledClock system() {
        return new ScaledClock(System.currentTimeMillis(), 1.0);
    }

    /** Starts at {@code start} and advances {@code speed} simulated milliseconds per real millisecond. */
    public static ScaledClock compressed(Instant start, double speed) {
        return new ScaledClock(start.toEpochMilli(), speed);
    }

    public long millis() {
        long realElapsedNanos = System.nanoTime() - realStartNanos;
        return simulatedStartMillis + (long) (realElapsedNanos / 1_000_000.0 * speed);
    }

    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    public double speed() {
        return speed;
    }

    /** How long to really wait so that {@code simulatedMillis} pass on this clock (at least 1 ms). */
    public long realDelayMillis(long simulatedMillis) {
        return Math.max(1L, Math.round(simulatedMillis / speed));
    }
}
