package dev.leakguard.trend;

/**
 * One scrape of one container.
 *
 * @param timestampMillis      when it was scraped (epoch millis; only differences matter)
 * @param memoryBytes          the series that approaches the limit (RSS or working set)
 * @param threads              thread or goroutine count; {@code NaN} when not configured or absent
 * @param containerStartMillis when the container (process) started; {@code -1} when unknown
 * @param restartCount         the container's restart count; {@code -1} when unknown
 */
public record Sample(long timestampMillis, double memoryBytes, double threads, long containerStartMillis,
                     int restartCount) {

    /** A sample with only time and memory known. */
    public static Sample ofMemory(long timestampMillis, double memoryBytes) {
        return new Sample(timestampMillis, memoryBytes, Double.NaN, -1, -1);
    }
}
