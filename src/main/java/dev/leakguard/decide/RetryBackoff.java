package dev.leakguard.decide;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Per-key exponential backoff on an explicit clock: after a refusal the key waits {@code initial},
 * then twice as long after each further refusal, up to {@code max}. A leaking pod whose eviction a
 * PodDisruptionBudget refuses is therefore retried a handful of times per hour, not every scrape.
 * Not thread-safe; the caller serialises access.
 */
public final class RetryBackoff {
    private static final int REMEMBERED_KEYS = 4096;

    private final long initialMillis;
    private final long maxMillis;
    private final Map<String, State> states = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, State> eldest) {
            return size() > REMEMBERED_KEYS;
        }
    };

    public RetryBackoff(Duration initial, Duration max) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max");
        }
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
    }

    /** When the key may be tried again, if it is still backing off at {@code nowMillis}. */
    public OptionalLong waitingUntil(String key, long nowMillis) {
        State state = states.get(key);
        return state != null && nowMillis < state.retryAtMillis ? OptionalLong.of(state.retryAtMillis) : OptionalLong.empty();
    }

    /** Records a refusal and returns the delay until the next try; true in {@link Refusal#first()} for a new streak. */
    public Refusal refused(String key, long nowMillis) {
        return refused(key, nowMillis, 0);
    }

    /** As {@link #refused(String, long)}, waiting at least {@code atLeastMillis} (a server's Retry-After). */
    public Refusal refused(String key, long nowMillis, long atLeastMillis) {
        State previous = states.get(key);
        long delay = Math.max(atLeastMillis, previous == null ? initialMillis : Math.min(maxMillis, previous.delayMillis * 2));
        states.put(key, new State(delay, nowMillis + delay));
        return new Refusal(previous == null, delay);
    }

    /** The key succeeded or went away: its next refusal starts a new streak. */
    public void clear(String key) {
        states.remove(key);
    }

    public record Refusal(boolean first, long delayMillis) {
    }

    private record State(long delayMillis, long retryAtMillis) {
    }
}
