package dev.leakguard.decide;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * When each leaking replica of one workload must be restarted so that every one is replaced before
 * its own predicted OOM kill. A leak lives in the code, so replicas started together reach their
 * limits together; restarting each one when its own horizon arrives leaves the last ones waiting
 * behind {@code maxConcurrent} and die. The plan works backwards from the deadlines instead.
 *
 * <p>Replicas are ordered by their pessimistic OOM time (the lower bound of the time to limit), the
 * closest first. With {@code lanes} restarts at once (maxConcurrent, or fewer when the
 * PodDisruptionBudget allows fewer) and each restart holding its lane for {@code replacement}
 * (until the replacement is Ready), replica {@code i} must start by
 * <pre>  startBy(i) = min(oom(i) − margin, startBy(i + lanes)) − replacement</pre>
 * (the replica {@code lanes} places later takes over its lane when it is done): three replicas, one at
 * a time, 90 s each, all dying at T, must start at T − 4.5 min, T − 3 min and T − 1.5 min with no margin.
 * The margin is what each replica should have left when its replacement is Ready: predictions come from
 * noisy samples and requests are retried on scrape intervals, so a plan that ends seconds before a
 * limit is a coin toss. The engine uses a third of the horizon (5 min by default).
 *
 * <p>Pure: the engine feeds it the latest assessments and the workload's {@link RestartPace}; the
 * restart door uses it to order restarts and to decide when the cooldown must give way.
 *
 * @param workload    the owning workload, "Kind/name"
 * @param slots       the replicas in the order they are to be restarted, closest to the limit first
 * @param lanes       restarts that may be in flight at once
 * @param replacement how long one restart holds its lane
 */
public record RestartPlan(String workload, List<Slot> slots, int lanes, Duration replacement) {
    private static final long HOUR_MILLIS = Duration.ofHours(1).toMillis();

    /**
     * One replica's prediction, in absolute time so that predictions made at different scrapes compare.
     *
     * @param oomAtMillis      when its memory is predicted to reach the limit
     * @param oomAtLowerMillis the pessimistic bound of that time (never later than {@code oomAtMillis})
     */
    public record Replica(String podUid, String pod, long oomAtMillis, long oomAtLowerMillis) {
        public Replica {
            oomAtLowerMillis = Math.min(oomAtLowerMillis, oomAtMillis);
        }
    }

    /** A replica and the latest time its restart may start. */
    public record Slot(Replica replica, long startByMillis) {
    }

    public RestartPlan {
        slots = List.copyOf(slots);
    }

    /**
     * The plan for one restart per replica (evictions).
     *
     * @param maxConcurrent the policy's {@code action.maxConcurrent}
     * @param pace          the workload's measured (or assumed) replacement time and PDB allowance
     * @param margin        time each replica should have left before its pessimistic OOM once replaced
     */
    public static RestartPlan perReplica(String workload, Collection<Replica> replicas, int maxConcurrent, RestartPace pace,
                                         Duration margin) {
        List<Replica> ordered = ordered(replicas);
        int lanes = Math.max(1, Math.min(maxConcurrent, pace.budgetAllows()));
        long hold = pace.replacementReady().toMillis();
        long[] startBy = new long[ordered.size()];
        for (int i = ordered.size() - 1; i >= 0; i--) {
            long deadline = ordered.get(i).oomAtLowerMillis() - margin.toMillis();
            if (i + lanes < ordered.size()) {
                deadline = Math.min(deadline, startBy[i + lanes]);
            }
            startBy[i] = deadline - hold;
        }
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            slots.add(new Slot(ordered.get(i), startBy[i]));
        }
        return new RestartPlan(workload, slots, lanes, pace.replacementReady());
    }

    /**
     * The plan for a rollout restart, which replaces every replica in one go: it must start so that the
     * whole rollout ({@code pace}: measured on this workload, or the assumed replacement time once per
     * leaking replica) is done {@code margin} before the earliest OOM.
     */
    public static RestartPlan wholeWorkload(String workload, Collection<Replica> replicas, RestartPace pace, Duration margin) {
        List<Replica> ordered = ordered(replicas);
        Duration rollout = pace.measured() ? pace.replacementReady()
                : pace.replacementReady().multipliedBy(Math.max(1, ordered.size()));
        long startBy = ordered.isEmpty() ? Long.MAX_VALUE : ordered.get(0).oomAtLowerMillis() - margin.toMillis() - rollout.toMillis();
        return new RestartPlan(workload, ordered.stream().map(r -> new Slot(r, startBy)).toList(), 1, rollout);
    }

    private static List<Replica> ordered(Collection<Replica> replicas) {
        return replicas.stream()
                .sorted(Comparator.comparingLong(Replica::oomAtLowerMillis).thenComparingLong(Replica::oomAtMillis)
                        .thenComparing(Replica::pod))
                .toList();
    }

    public Optional<Slot> slotOf(String podUid) {
        return slots.stream().filter(s -> s.replica().podUid().equals(podUid)).findFirst();
    }

    /** The replica's restart must start now: waiting longer would let it, or one queued behind it, reach its limit. */
    public boolean due(String podUid, long nowMillis) {
        return slotOf(podUid).map(s -> nowMillis >= s.startByMillis()).orElse(false);
    }

    /**
     * The replicas to be restarted before {@code podUid}: those closer to their limits by more than one
     * replacement time, and among those nearer to it than that, the ones whose names sort first. Each
     * replica's request carries a plan made at its own scrape, and two plans made seconds apart can rank
     * near-equal replicas differently; ordered by pessimistic OOM time alone, each could wait for the
     * other. Within one replacement time the order does not change whether they make it, so a stable
     * order (by name) is taken instead.
     */
    public List<Replica> ahead(String podUid) {
        Optional<Slot> mine = slotOf(podUid);
        if (mine.isEmpty()) {
            return List.of();
        }
        Replica me = mine.get().replica();
        long tolerance = replacement.toMillis();
        return slots.stream().map(Slot::replica)
                .filter(r -> !r.equals(me) && (r.oomAtLowerMillis() < me.oomAtLowerMillis() - tolerance
                        || Math.abs(r.oomAtLowerMillis() - me.oomAtLowerMillis()) <= tolerance && r.pod().compareTo(me.pod()) < 0))
                .toList();
    }

    /** The slots whose restart must start by {@code untilMillis}, in order. */
    public List<Slot> startingBy(long untilMillis) {
        return slots.stream().filter(s -> s.startByMillis() <= untilMillis).toList();
    }

    /**
     * The plan's restarts that must start within the next hour and that the hourly budgets cannot
     * cover: the budgets stay hard limits, so the replicas at the end of the queue would be OOM-killed,
     * and people should hear it before the first one is.
     *
     * @param needed    replicas that must start within the hour (those already restarting not counted)
     * @param allowed   restarts the budgets still allow this hour
     * @param within    until the last of them is predicted to reach its limit
     * @param uncovered the replicas the budget cannot cover, the last in the queue
     */
    public record Shortfall(int needed, int allowed, Duration within, List<Replica> uncovered) {
        public String describe(String workload) {
            return "leak outpaces the restart budget: " + needed + " replicas of " + workload + " need restarts within "
                    + RestartRules.human(Math.max(1000, within.toMillis())) + ", budget allows " + allowed + "; not covered: "
                    + String.join(", ", uncovered.stream().map(Replica::pod).toList());
        }
    }

    /**
     * The shortfall when {@code restartsAllowed} (what the policy's and the operator's hourly budgets
     * still allow) cannot cover the restarts due within the next hour; empty when they can.
     *
     * @param restarting pod uids whose restart is already under way
     */
    public Optional<Shortfall> shortfall(int restartsAllowed, long nowMillis, Set<String> restarting) {
        List<Replica> needed = startingBy(nowMillis + HOUR_MILLIS).stream().map(Slot::replica)
                .filter(r -> !restarting.contains(r.podUid())).toList();
        int allowed = Math.max(0, restartsAllowed);
        if (needed.size() <= allowed) {
            return Optional.empty();
        }
        long lastOom = needed.stream().mapToLong(Replica::oomAtLowerMillis).max().orElse(nowMillis);
        return Optional.of(new Shortfall(needed.size(), allowed, Duration.ofMillis(Math.max(0, lastOom - nowMillis)),
                List.copyOf(needed.subList(allowed, needed.size()))));
    }

    /** The earliest start, or {@link Long#MAX_VALUE} for an empty plan. */
    public long firstStartByMillis() {
        return slots.isEmpty() ? Long.MAX_VALUE : slots.get(0).startByMillis();
    }

    /**
     * For Events and logs: "3 replicas, 1 at a time, replacement Ready in 1m30s (measured): a by
     * 10:01:00Z (OOM ~10:05:30Z), …".
     */
    public String describe(boolean paceMeasured) {
        StringBuilder out = new StringBuilder().append(slots.size()).append(slots.size() == 1 ? " replica" : " replicas")
                .append(", ").append(lanes).append(" at a time, replacement Ready in ")
                .append(RestartRules.human(replacement.toMillis())).append(paceMeasured ? " (measured)" : " (assumed until measured)")
                .append(':');
        for (int i = 0; i < slots.size(); i++) {
            Slot slot = slots.get(i);
            out.append(i == 0 ? " " : ", ").append(slot.replica().pod()).append(" by ").append(clockTime(slot.startByMillis()))
                    .append(" (OOM ~").append(clockTime(slot.replica().oomAtLowerMillis())).append(')');
        }
        return out.toString();
    }

    static String clockTime(long millis) {
        return Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
