package dev.leakguard.profile;

import java.util.Objects;

/**
 * A group's size in the baseline and in the current snapshot.
 *
 * @param key         the grouping key
 * @param description the human-readable group, e.g.
 *                    {@code gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper (chan receive; created by …)}
 * @param before      the count in the baseline; 0 when the group was not there or there is no baseline
 * @param after       the count in the current snapshot
 * @param hasBaseline whether a baseline was compared at all; without one, messages state sizes, not growth
 */
public record GroupGrowth(String key, String description, long before, long after, boolean hasBaseline) {

    public GroupGrowth {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(description, "description");
    }

    /** A group compared against a baseline. */
    public GroupGrowth(String key, String description, long before, long after) {
        this(key, description, before, after, true);
    }

    /** How many threads or goroutines the group gained since the baseline. */
    public long growth() {
        return after - before;
    }

    /**
     * One line for Events and status, e.g.
     * {@code +7386 goroutines gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper (chan receive; created by …)},
     * or without a baseline {@code 7386 goroutines …}.
     *
     * @param unitNoun the plural noun, {@code goroutines} or {@code threads}; a count of one uses it without its final s
     */
    public String describe(String unitNoun) {
        long shown = hasBaseline ? growth() : after;
        String number = hasBaseline && shown >= 0 ? "+" + shown : Long.toString(shown);
        return number + " " + nounFor(shown, unitNoun) + " " + description;
    }

    private static String nounFor(long count, String pluralNoun) {
        boolean one = count == 1 || count == -1;
        return one && pluralNoun.endsWith("s") ? pluralNoun.substring(0, pluralNoun.length() - 1) : pluralNoun;
    }
}
