package dev.leakguard.profile;

import java.util.List;
import java.util.Objects;

/**
 * One stack as a profile reports it: a single thread or goroutine, or (Go {@code debug=1})
 * {@code count} goroutines that share the stack.
 *
 * @param threadName the JVM thread name; null for Go, whose goroutines have none
 * @param state      the state as printed, e.g. {@code chan receive, 3 minutes} or
 *                   {@code TIMED_WAITING (parking)}; null when the profile does not say
 * @param frames     function names, innermost (top) first, without arguments, offsets or files
 * @param createdBy  the Go function that started the goroutine; null when unknown
 * @param count      how many threads or goroutines have this stack, at least 1
 */
public record StackRecord(String threadName, String state, List<String> frames, String createdBy, long count) {

    public StackRecord {
        frames = List.copyOf(Objects.requireNonNull(frames, "frames"));
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, was " + count);
        }
    }
}
