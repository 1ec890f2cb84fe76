package dev.leakguard.profile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Names the groups that leak. A leaking group is the one that <em>grows</em> between a
 * baseline and the current snapshot, not the biggest one: a busy server legitimately holds
 * many connection goroutines or request threads, and they stay about as many.
 */
public final class GrowthRanking {

    private static final Comparator<GroupGrowth> MOST_GROWTH_FIRST = Comparator
            .comparingLong(GroupGrowth::growth).reversed()
            .thenComparing(Comparator.comparingLong(GroupGrowth::after).reversed())
            .thenComparing(GroupGrowth::key);

    private static final Comparator<GroupGrowth> LARGEST_FIRST = Comparator
            .comparingLong(GroupGrowth::after).reversed()
            .thenComparing(GroupGrowth::key);

    private GrowthRanking() {
    }

    /**
     * The {@code top} groups that grew most from {@code baseline} to {@code current}; groups that
     * did not grow are left out, since they are not leaking, and so is the group of goroutines
     * without frames ({@link Grouping#NO_FRAMES_KEY}), which names no code. Ties go to the larger
     * group, then to the key, so the order is deterministic.
     *
     * <p>With no baseline ({@code null}) this falls back to the {@code top} largest groups of
     * {@code current}, marked as having no baseline so their messages state sizes.
     */
    public static List<GroupGrowth> rank(GroupCounts baseline, GroupCounts current, int top) {
        Objects.requireNonNull(current, "current");
        if (top <= 0) {
            return List.of();
        }
        List<GroupGrowth> candidates = new ArrayList<>(current.size());
        for (GroupCounts.Group group : current.groups()) {
            if (group.key().equals(Grouping.NO_FRAMES_KEY)) {
                // Goroutines caught starting or exiting: a sample of the request rate, not code that holds memory.
                continue;
            }
            if (baseline == null) {
                candidates.add(new GroupGrowth(group.key(), group.description(), 0, group.count(), false));
            } else {
                long before = baseline.count(group.key());
                if (group.count() > before) {
                    candidates.add(new GroupGrowth(group.key(), group.description(), before, group.count()));
                }
            }
        }
        candidates.sort(baseline == null ? LARGEST_FIRST : MOST_GROWTH_FIRST);
        return List.copyOf(candidates.subList(0, Math.min(top, candidates.size())));
    }
}
