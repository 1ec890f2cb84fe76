package dev.leakguard.engine;

import dev.leakguard.profile.GroupCounts;

/**
 * A grouped profile with its raw text (evidence keeps the profile itself, not only its summary), or
 * why there is none: {@code groups} is null when {@code error} is set; {@code raw} may still hold
 * what was read when the text could not be parsed. {@code skipped} says which records the parser left
 * out ("skipped: N records (…)"), null when none.
 */
public record ProfileSnapshot(GroupCounts groups, String skipped, byte[] raw, int length, String error) {
    public boolean ok() {
        return error == null;
    }
}
