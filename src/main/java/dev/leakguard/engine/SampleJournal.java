package dev.leakguard.engine;

/**
 * Where a policy's recent samples outlive the operator process ({@link SampleArchive}'s text), so that
 * a new leader resumes where the old one stopped. Implementations never throw on a missing record.
 */
public interface SampleJournal {
    // part: which piece of the policy's pods (a shard, as "-<i>-of-<N>"); empty for all of them.
    /** The archive last saved for {@code policy}, or null when there is none (or it is not the policy's). */
    String load(PolicyRef policy, String part);

    /** Replaces the policy's archive; {@code pods} is how many pods it holds. */
    void save(PolicyRef policy, String part, String archive, int pods);
}
