package dev.leakguard.engine;

import dev.leakguard.profile.GroupCounts;

/**
 * A grouped profile with its raw text (evidence keeps the profile itself, not only its summary), or
 * why there is none: {@code groups} is null when {@code error} is set; {@code raw} may still hold
 * what was read when the text could not be parsed.
 */
public record ProfileSnapshot(GroupCounts groups, byte[] raw, int length, String error) {
    public boolean ok() {
        return error == null;
    }
}
