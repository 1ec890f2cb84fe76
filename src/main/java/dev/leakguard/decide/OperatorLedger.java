package dev.leakguard.decide;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The restarts all policies started in the last hour, kept in one place so that the operator-wide cap
 * ({@code --max-restarts-per-hour}) holds exactly however many replicas and action threads decide at once: each
 * restart takes its slot here with the same optimistic concurrency as the policy's own {@link RestartLedger}, so of
 * two writers taking the last slot one is refused and decides again on the other's ledger. Immutable; every change
 * returns a new ledger.
 *
 * <p>Only the last hour is kept: the cap counts nothing older, and a start never confirmed (its replica died before
 * the eviction) costs one slot for at most that hour, as its entry in the policy's ledger costs one against the
 * policy's budget.
 */
public record OperatorLedger(List<Start> starts) {
    /**
     * The largest operator-wide cap the ledger can hold: a cap's worth of restarts and as many dry-run ones, ~130
     * bytes each, must fit in one object's annotations (256 KiB). A cap above this is no safety net anyway.
     */
    public static final int MAX_CAP = 500;
    public static final OperatorLedger EMPTY = new OperatorLedger(List.of());

    /**
     * One restart (or, with {@code dryRun}, one WouldRestart) that took a slot of the operator-wide cap.
     *
     * @param policyUid the policy that started it
     * @param podUid    the pod it restarts
     * @param atMillis  when it was requested, as in the policy's {@link LedgerEntry}
     */
    public record Start(String policyUid, String podUid, long atMillis, boolean dryRun) {
        public static Start of(String policyUid, LedgerEntry entry) {
            return new Start(policyUid, entry.podUid(), entry.atMillis(), entry.dryRun());
        }
    }

    public OperatorLedger {
        starts = List.copyOf(starts);
    }

    /**
     * The ledger to start from when there is none yet (first start, or an upgrade from a version that counted the
     * cap from the policies' ledgers): the last hour of the policies' ledgers that are known, by policy uid.
     */
    public static OperatorLedger startingFrom(Map<String, RestartLedger> policies, long nowMillis) {
        long hourAgo = RestartRules.hourAgo(nowMillis);
        List<Start> recent = new ArrayList<>();
        policies.forEach((uid, ledger) -> ledger.entries().stream().filter(e -> e.atMillis() >= hourAgo)
                .forEach(e -> recent.add(Start.of(uid, e))));
        return new OperatorLedger(recent);
    }

    public int startedSince(long sinceMillis, boolean dryRun) {
        return (int) starts.stream().filter(s -> s.dryRun() == dryRun && s.atMillis() >= sinceMillis).count();
    }

    /**
     * Takes a slot for {@code start} unless the cap is reached by the other starts, forgetting starts older than an
     * hour; the refusal is {@link RestartRules#operatorBudget}'s, so it reads as when the door decided on a copy of
     * this ledger. A start already here (a first ledger taken from the policies' ledgers holds the restart whose
     * entry was just written there) keeps its one slot.
     */
    public Reservation reserve(Start start, int cap) {
        long hourAgo = RestartRules.hourAgo(start.atMillis());
        OperatorLedger others = without(start);
        RestartDecision refusal = RestartRules.operatorBudget(others.startedSince(hourAgo, start.dryRun()), cap);
        if (refusal != null) {
            return new Reservation(others, refusal);
        }
        List<Start> kept = new ArrayList<>(others.starts.stream().filter(s -> s.atMillis() >= hourAgo).toList());
        kept.add(start);
        return new Reservation(new OperatorLedger(kept), null);
    }

    /** The ledger after a reservation, and the operator-budget block when there was no slot left (then nothing changed), else null. */
    public record Reservation(OperatorLedger ledger, RestartDecision refusal) {
        public boolean reserved() {
            return refusal == null;
        }
    }

    /** Gives back the slot of a restart that did not happen, as if it had never been taken. */
    public OperatorLedger without(Start start) {
        if (!starts.contains(start)) {
            return this;
        }
        List<Start> kept = new ArrayList<>(starts);
        kept.remove(start);
        return new OperatorLedger(kept);
    }
}
