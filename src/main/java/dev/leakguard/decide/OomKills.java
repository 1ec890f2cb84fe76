package dev.leakguard.decide;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds OOM kills by comparing a pod's container terminations before and after an update. A kill
 * is identified by (container, restart number): the kubelet reports it first as the current state
 * (restartCount n, state.terminated) and, once the container restarted, as the last state
 * (restartCount n+1, lastState.terminated) — both are restart number n+1, so one kill is counted once.
 */
public final class OomKills {
    public static final String OOM_KILLED = "OOMKilled";

    private OomKills() {
    }

    /** One termination of one container, with the restart number that identifies it. */
    public record Termination(String container, int restartNumber, String reason) {
        /** From {@code lastState.terminated}: the container already restarted {@code restartCount} times. */
        public static Termination last(String container, int restartCount, String reason) {
            return new Termination(container, restartCount, reason);
        }

        /** From {@code state.terminated}: the coming restart will be number {@code restartCount + 1}. */
        public static Termination current(String container, int restartCount, String reason) {
            return new Termination(container, restartCount + 1, reason);
        }

        public boolean oomKilled() {
            return OOM_KILLED.equals(reason);
        }

        /** Stable text key, unique within one pod. */
        public String key() {
            return container + "#" + restartNumber;
        }
    }

    /** OOM kills present after but not before; {@code before} is empty for a pod seen the first time. */
    public static List<Termination> newKills(Collection<Termination> before, Collection<Termination> after) {
        Set<String> known = new HashSet<>();
        for (Termination t : before) {
            if (t.oomKilled()) {
                known.add(t.key());
            }
        }
        Set<String> reported = new LinkedHashSet<>();
        List<Termination> kills = new ArrayList<>();
        for (Termination t : after) {
            if (t.oomKilled() && !known.contains(t.key()) && reported.add(t.key())) {
                kills.add(t);
            }
        }
        return kills;
    }
}
