package dev.leakguard.profile;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How many threads or goroutines each group of one profile snapshot holds.
 *
 * <p>The number of distinct groups is capped (a pathological profile with a unique stack per
 * goroutine must not grow the operator's heap without bound). Records that would open a group
 * beyond the cap are counted in one bucket under {@link #OTHER_KEY}, so totals stay exact.
 */
public final class GroupCounts {

    /** The default cap on distinct groups per snapshot. */
    public static final int DEFAULT_MAX_GROUPS = 10_000;

    /** The key of the bucket that counts records beyond the group cap; no real group key has this form. */
    public static final String OTHER_KEY = "(other groups)";

    /**
     * One group.
     *
     * @param key         the grouping key (see {@link Grouping} for its parts)
     * @param description the human-readable form used in messages
     * @param count       threads or goroutines in the group
     */
    public record Group(String key, String description, long count) {
    }

    private final Map<String, Group> groups;
    private final long total;
    private final int maxGroups;

    private GroupCounts(Map<String, Group> groups, long total, int maxGroups) {
        this.groups = groups;
        this.total = total;
        this.maxGroups = maxGroups;
    }

    /** A builder that keeps at most {@code maxGroups} groups besides the overflow bucket. */
    public static Builder builder(int maxGroups) {
        if (maxGroups < 1) {
            throw new IllegalArgumentException("maxGroups must be at least 1, was " + maxGroups);
        }
        return new Builder(maxGroups);
    }

    /** The count of the group with this key, 0 when the snapshot has no such group. */
    public long count(String key) {
        Group group = groups.get(key);
        return group == null ? 0 : group.count();
    }

    /** The group with this key, or null. */
    public Group group(String key) {
        return groups.get(key);
    }

    /** All groups, the overflow bucket included when it is not empty, largest first. */
    public List<Group> groups() {
        List<Group> sorted = new ArrayList<>(groups.values());
        sorted.sort(GroupCounts::largestFirst);
        return Collections.unmodifiableList(sorted);
    }

    /** The number of groups, the overflow bucket included when it is not empty. */
    public int size() {
        return groups.size();
    }

    /** All threads or goroutines of the snapshot. */
    public long total() {
        return total;
    }

    /** Threads or goroutines counted in the overflow bucket because the group cap was reached. */
    public long otherCount() {
        return count(OTHER_KEY);
    }

    /** The group cap this snapshot was built with. */
    public int maxGroups() {
        return maxGroups;
    }

    static int largestFirst(Group a, Group b) {
        int byCount = Long.compare(b.count(), a.count());
        return byCount != 0 ? byCount : a.key().compareTo(b.key());
    }

    @Override
    public String toString() {
        return "GroupCounts{total=" + total + ", groups=" + groups.size() + "}";
    }

    /** Accumulates counts per group; not thread-safe. */
    public static final class Builder {
        private final int maxGroups;
        private final Map<String, Tally> tallies = new HashMap<>();
        private long other;
        private long total;

        private Builder(int maxGroups) {
            this.maxGroups = maxGroups;
        }

        /** Adds {@code count} to the group {@code key}, opening it with {@code description} if it is new. */
        public Builder add(String key, String description, long count) {
            if (count < 0) {
                throw new IllegalArgumentException("count must not be negative, was " + count);
            }
            if (OTHER_KEY.equals(key)) {
                throw new IllegalArgumentException(OTHER_KEY + " is reserved for the overflow bucket");
            }
            total = Math.addExact(total, count);
            Tally tally = tallies.get(key);
            if (tally != null) {
                tally.count = Math.addExact(tally.count, count);
            } else if (tallies.size() < maxGroups) {
                tallies.put(key, new Tally(description, count));
            } else {
                other = Math.addExact(other, count);
            }
            return this;
        }

        public GroupCounts build() {
            Map<String, Group> groups = new HashMap<>(tallies.size() * 2);
            tallies.forEach((key, tally) -> groups.put(key, new Group(key, tally.description, tally.count)));
            if (other > 0) {
                groups.put(OTHER_KEY, new Group(OTHER_KEY,
                        "other groups (beyond the " + maxGroups + "-group cap)", other));
            }
            return new GroupCounts(Collections.unmodifiableMap(groups), total, maxGroups);
        }

        private static final class Tally {
            final String description;
            long count;

            Tally(String description, long count) {
                this.description = description;
                this.count = count;
            }
        }
    }
}
