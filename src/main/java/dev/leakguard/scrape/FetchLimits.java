package dev.leakguard.scrape;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds of one fetch: the largest body accepted (counted after decompression), the time to
 * establish the connection, and the time for the whole exchange including the body.
 */
public record FetchLimits(long maxBodyBytes, Duration connectTimeout, Duration totalTimeout) {

    /** Bodies are held in one array. */
    public static final long MAX_BODY_BYTES_LIMIT = 1L << 30;

    public FetchLimits {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(totalTimeout, "totalTimeout");
        if (maxBodyBytes <= 0 || maxBodyBytes > MAX_BODY_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxBodyBytes must be in 1.." + MAX_BODY_BYTES_LIMIT + ", was " + maxBodyBytes);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || totalTimeout.isNegative() || totalTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    /** For a Prometheus /metrics scrape: 10 MiB, 2 s to connect, 10 s in all. */
    public static FetchLimits metricsDefaults() {
        return new FetchLimits(10L << 20, Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    /** For a goroutine profile or thread dump, which can be larger and slower: 32 MiB, 2 s, 20 s. */
    public static FetchLimits profileDefaults() {
        return new FetchLimits(32L << 20, Duration.ofSeconds(2), Duration.ofSeconds(20));
    }
}
