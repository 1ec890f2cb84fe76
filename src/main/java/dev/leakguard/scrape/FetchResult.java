package dev.leakguard.scrape;

import java.time.Duration;
import java.util.Objects;

/** The outcome of {@link HttpFetcher#fetch}: a body, or the reason there is none. */
public sealed interface FetchResult {

    /** How long the fetch took, from the call to the result. */
    Duration elapsed();

    /**
     * A 2xx response whose (decompressed) body is {@code body[0, length)}; the array may be longer.
     * {@code contentType} is the response's Content-Type, empty when it had none.
     */
    record Success(byte[] body, int length, String contentType, Duration elapsed) implements FetchResult {
        public Success {
            Objects.requireNonNull(body, "body");
            Objects.checkFromIndexSize(0, length, body.length);
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(elapsed, "elapsed");
        }
    }

    /**
     * A 4xx or 5xx response whose body was read (under the same limits) because the caller asked for
     * it with {@link HttpFetcher#fetchKeepingErrorBodies}: HTTP APIs such as Prometheus's explain
     * their errors there. The body is {@code body[0, length)}.
     */
    record ErrorResponse(int status, byte[] body, int length, String contentType, Duration elapsed) implements FetchResult {
        public ErrorResponse {
            Objects.requireNonNull(body, "body");
            Objects.checkFromIndexSize(0, length, body.length);
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(elapsed, "elapsed");
        }
    }

    /** No usable body; {@code message} is short, has no control characters and is safe to show. */
    record Failure(FailureKind kind, String message, Duration elapsed) implements FetchResult {
        public Failure {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(elapsed, "elapsed");
        }
    }
}
