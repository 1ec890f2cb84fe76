package dev.leakguard.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The operator's one clock. Live it is the wall clock; in the demo it runs faster than real time
 * (e.g. one simulated minute per real second) so that a leak which takes an hour to develop is
 * detected within a minute. Everything that reads time for a decision goes through one instance,
 * so simulated pods, the detector, annotations, Events and status agree on "now". Code that only
 * needs "now" takes it as a {@link Clock}; what schedules real threads (scrape loops, status
 * refreshes) also asks it how long a span of its time lasts in real time. Only latency
 * measurements (how long a request or a decision really took) use {@link System#nanoTime()}.
 */
public final class ScaledClock extends Clock {
    private final long simulatedStartMillis;
    private final long realStartNanos;
    private final double speed;
    private final ZoneId zone;

    private ScaledClock(long simulatedStartMillis, long realStartNanos, double speed, ZoneId zone) {
        if (!(speed > 0) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("clock speed must be a positive finite number, got " + speed);
        }
        this.simulatedStartMillis = simulatedStartMillis;
        this.realStartNanos = realStartNanos;
        this.speed = speed;
        this.zone = zone;
    }

    /** Wall-clock time, real speed. */
    public static ScaledClock system() {
        return new ScaledClock(System.currentTimeMillis(), System.nanoTime(), 1.0, ZoneOffset.UTC);
    }

    /** Starts at {@code start} and advances {@code speed} simulated milliseconds per real millisecond. */
    public static ScaledClock compressed(Instant start, double speed) {
        return new ScaledClock(start.toEpochMilli(), System.nanoTime(), speed, ZoneOffset.UTC);
    }

    @Override
    public long millis() {
        long realElapsedNanos = System.nanoTime() - realStartNanos;
        return simulatedStartMillis + (long) (realElapsedNanos / 1_000_000.0 * speed);
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    /** The same clock (same time, same speed) in another zone. */
    @Override
    public ScaledClock withZone(ZoneId other) {
        return other.equals(zone) ? this : new ScaledClock(simulatedStartMillis, realStartNanos, speed, other);
    }

    public double speed() {
        return speed;
    }

    /** How long to really wait so that {@code simulatedMillis} pass on this clock (at least 1 ms). */
    public long realDelayMillis(long simulatedMillis) {
        return Math.max(1L, Math.round(simulatedMillis / speed));
    }

    /** {@link #realDelayMillis(long)} for a duration. */
    public long realDelayMillis(Duration simulated) {
        return realDelayMillis(simulated.toMillis());
    }
}
