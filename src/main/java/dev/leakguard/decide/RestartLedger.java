package dev.leakguard.decide;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A policy's restart history, small enough to live in one annotation on the policy so that a new
 * leader reads it back instead of starting from zero: lifetime totals, the recent restarts (for
 * cooldown, hourly budgets, restart loops and in-flight tracking) and the OOM kills already
 * counted, and how fast each restarted workload comes back ({@link RestartPace}). Immutable; every change returns a new ledger.
 */
public record RestartLedger(int restarts, int oomKillsMissed, List<LedgerEntry> entries, List<String> oomKillsSeen,
                            Map<String, RestartPace> paces) {
    /** Bounds the annotation (~200 bytes an entry): budgets above this many restarts an hour are counted up to it. */
    public static final int MAX_ENTRIES = 256;
    public static final int MAX_OOM_KILLS_SEEN = 256;
    /** Bounds the paces kept: one per workload restarted, the least recently measured forgotten first. */
    public static final int MAX_PACES = 64;
    public static final RestartLedger EMPTY = new RestartLedger(0, 0, List.of(), List.of(), Map.of());

    public RestartLedger {
        entries = List.copyOf(entries);
        oomKillsSeen = List.copyOf(oomKillsSeen);
        paces = Map.copyOf(paces);
    }

    /** How fast the workload ("Kind/name") can be restarted: as measured on its past restarts, else {@link RestartPace#ASSUMED}. */
    public RestartPace paceOf(String workload) {
        return paces.getOrDefault(workload, RestartPace.ASSUMED);
    }

    /** Keeps {@code pace} for the workload; beyond {@link #MAX_PACES} the least recently measured other workload is forgotten. */
    public RestartLedger withPace(String workload, RestartPace pace) {
        if (pace.equals(paces.get(workload))) {
            return this;
        }
        Map<String, RestartPace> next = new HashMap<>(paces);
        next.put(workload, pace);
        while (next.size() > MAX_PACES) {
            next.entrySet().stream().filter(e -> !e.getKey().equals(workload))
                    .min(Comparator.comparingLong(e -> e.getValue().measuredAtMillis()))
                    .ifPresent(e -> next.remove(e.getKey()));
        }
        return new RestartLedger(restarts, oomKillsMissed, entries, oomKillsSeen, next);
    }

    /** How long entries must be kept for these settings to be enforced. */
    public static Duration retention(RestartSettings settings) {
        Duration keep = Duration.ofHours(1);
        keep = settings.cooldown().compareTo(keep) > 0 ? settings.cooldown() : keep;
        return settings.loop().window().compareTo(keep) > 0 ? settings.loop().window() : keep;
    }

    public OptionalLong lastRestartOf(String workload, boolean dryRun) {
        return entries.stream()
                .filter(e -> e.dryRun() == dryRun && e.workload().equals(workload))
                .mapToLong(LedgerEntry::atMillis)
                .max();
    }

    public int startedSince(long sinceMillis, boolean dryRun) {
        return (int) entries.stream().filter(e -> e.dryRun() == dryRun && e.atMillis() >= sinceMillis).count();
    }

    public int restartsOf(String workload, long sinceMillis) {
        return (int) entries.stream()
                .filter(e -> !e.dryRun() && e.workload().equals(workload) && e.atMillis() >= sinceMillis)
                .count();
    }

    /** Adds a restart and forgets entries older than {@code retention} before {@code nowMillis}. */
    public RestartLedger withRestart(LedgerEntry entry, long nowMillis, Duration retention) {
        long oldest = nowMillis - retention.toMillis();
        List<LedgerEntry> kept = new ArrayList<>();
        for (LedgerEntry e : entries) {
            if (e.atMillis() >= oldest) {
                kept.add(e);
            }
        }
        kept.add(entry);
        List<LedgerEntry> bounded = kept.subList(Math.max(0, kept.size() - MAX_ENTRIES), kept.size());
        return new RestartLedger(entry.dryRun() ? restarts : restarts + 1, oomKillsMissed, bounded, oomKillsSeen, paces);
    }

    /** Takes back a restart the API server refused, as if it had never been recorded. */
    public RestartLedger withoutRestart(LedgerEntry entry) {
        if (!entries.contains(entry)) {
            return this;
        }
        List<LedgerEntry> kept = new ArrayList<>(entries);
        kept.remove(entry);
        return new RestartLedger(entry.dryRun() ? restarts : Math.max(0, restarts - 1), oomKillsMissed, kept, oomKillsSeen, paces);
    }

    /** Counts the kills whose keys were not counted before; returns this ledger when there are none. */
    public RestartLedger withOomKills(Collection<String> killKeys) {
        List<String> seen = new ArrayList<>(oomKillsSeen);
        int added = 0;
        for (String key : killKeys) {
            if (!seen.contains(key)) {
                seen.add(key);
                added++;
            }
        }
        if (added == 0) {
            return this;
        }
        List<String> bounded = seen.subList(Math.max(0, seen.size() - MAX_OOM_KILLS_SEEN), seen.size());
        return new RestartLedger(restarts, oomKillsMissed + added, entries, bounded, paces);
    }

    public boolean oomKillSeen(String key) {
        return oomKillsSeen.contains(key);
    }
}
