package dev.leakguard.trend;

import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * How one pod's memory series is judged.
 *
 * @param window           how far back the trend is fitted
 * @param warmup           samples this soon after a container start are ignored
 * @param horizon          {@link Verdict#LEAKING} when the limit is predicted within this
 * @param interval         the expected scrape interval (sets the bucket width for short windows)
 * @param memoryLimitBytes the limit the OOM killer enforces; {@code NaN} when unknown, in which
 *                         case the detector says at most {@link Verdict#SUSPECT}
 */
public record DetectionSettings(Duration window, Duration warmup, Duration horizon, Duration interval,
                                double memoryLimitBytes) {

    public DetectionSettings {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(horizon, "horizon");
        Objects.requireNonNull(interval, "interval");
        requirePositive("interval", interval);
        requirePositive("horizon", horizon);
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("warmup must not be negative, got " + Durations.format(warmup));
        }
        if (window.compareTo(interval.multipliedBy(4)) < 0) {
            throw new IllegalArgumentException("window " + Durations.format(window) + " must span at least 4 intervals of " + Durations.format(interval));
        }
        if (!Double.isNaN(memoryLimitBytes) && !(memoryLimitBytes > 0 && Double.isFinite(memoryLimitBytes))) {
            throw new IllegalArgumentException("memoryLimitBytes must be positive or NaN (unknown), got " + memoryLimitBytes);
        }
    }

    /** The defaults of a LeakPolicy ({@link Defaults}): 30 m window, 5 m warm-up, 15 m horizon, 15 s scrapes. */
    public static DetectionSettings defaults(double memoryLimitBytes) {
        return new DetectionSettings(Durations.parse(Defaults.WINDOW), Durations.parse(Defaults.WARMUP),
                Durations.parse(Defaults.HORIZON), Durations.parse(Defaults.INTERVAL), memoryLimitBytes);
    }

    public DetectionSettings withMemoryLimitBytes(double limitBytes) {
        return new DetectionSettings(window, warmup, horizon, interval, limitBytes);
    }

    public boolean limitKnown() {
        return !Double.isNaN(memoryLimitBytes);
    }

    private static void requirePositive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + Durations.format(value));
        }
    }
}
