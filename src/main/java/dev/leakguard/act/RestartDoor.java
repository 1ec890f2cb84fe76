package dev.leakguard.act;

import dev.leakguard.decide.BlockRule;
import dev.leakguard.decide.EventReason;
import dev.leakguard.decide.InFlightRules;
import dev.leakguard.decide.LedgerEntry;
import dev.leakguard.decide.OperatorLedger;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.decide.RestartDecision;
import dev.leakguard.decide.RestartFacts;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.decide.RestartOutcome;
import dev.leakguard.decide.RestartPace;
import dev.leakguard.decide.RestartPlan;
import dev.leakguard.decide.RestartRules;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.decide.RestartStrategy;
import dev.leakguard.decide.RetryBackoff;
import dev.leakguard.engine.PolicyRef;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.Restarter;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.kube.Pods;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.policy.ActionType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one door for every disruption leakguard causes (like descheduler's PodEvictor): facts →
 * {@link RestartRules} → record → act → report. It re-reads the pod and its surroundings
 * ({@link WorkloadFacts}), decides on the ledger as stored ({@link LedgerStore}) and records the
 * restart there in the same step, then marks the pod and evicts it (policy/v1, so PodDisruptionBudgets
 * and the grace period apply) or rolls out a restart of its workload ({@link Disruptor}), and tells
 * people (Events, metrics). Dry run records and tells, and changes nothing else.
 *
 * <p><b>Idempotent across operator restarts and leader changes.</b> Nothing that keeps the cluster
 * safe lives only in memory: the ledger, written with optimistic concurrency before the eviction
 * request is sent, holds the recent restarts, and a restart counts as in flight until the cluster
 * shows its replacement Ready ({@link InFlightRules}). A new leader therefore sees the same in-flight
 * restarts, cooldowns and hourly counts. Only the backoff after refused evictions and the de-duplication of
 * RestartBlocked Events are kept in memory: losing them costs one extra eviction attempt or one
 * extra Event, never an extra disruption.
 *
 * <p><b>No lock across a request.</b> Two requests at once (two action threads, or two instances)
 * both decide on the ledger they read; the second writer's conflict makes it decide again on the
 * first one's ledger, so maxConcurrent, cooldown and the budgets hold without a JVM lock. Only the
 * in-memory backoff maps are guarded, never while a request is sent.
 *
 * <p><b>The operator-wide cap across replicas.</b> Two replicas (or action threads) deciding for two different
 * policies write two different ledgers, so neither write conflicts with the other; the operator-wide cap is held
 * by a second record, the restart's slot in the {@link OperatorLedger} ({@link OperatorLedgerStore}), taken with
 * the same optimistic concurrency right after the policy's ledger allowed and recorded the restart, and before
 * anything is marked or evicted. A restart starts only with both records; when no slot is left or the slot cannot
 * be written, the policy's entry is given back. A restart that does not happen gives both back. One more write
 * per restart; requests that are blocked write nothing more.
 */
public final class RestartDoor implements Restarter {
    private static final Logger log = LoggerFactory.getLogger(RestartDoor.class);
    private static final Duration REFUSAL_BACKOFF = Duration.ofSeconds(30);
    private static final Duration REFUSAL_BACKOFF_MAX = Duration.ofMinutes(10);
    private static final int REMEMBERED_PODS = 4096;

    private final WorkloadFacts facts;
    private final LedgerStore ledgers;
    private final OperatorLedgerStore operatorLedger;
    private final Disruptor disruptor;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final int operatorMaxRestartsPerHour;

    /** Guards the in-memory maps below; never held during a request. */
    private final Object memory = new Object();
    private final RetryBackoff refusals = new RetryBackoff(REFUSAL_BACKOFF, REFUSAL_BACKOFF_MAX);
    private final Map<String, String> lastReportedBlock = bounded();
    /** Stalled rollout restarts already reported, by workload and restartedAt. */
    private final Map<String, String> reportedStalls = bounded();
    /** Why each backing-off pod was last refused. */
    private final Map<String, Refused> refusedAs = bounded();
    /** The restart-budget shortfall last reported per policy and workload, so that it is said once. */
    private final Map<String, String> lastShortfall = bounded();

    public RestartDoor(WorkloadFacts facts, LedgerStore ledgers, OperatorLedgerStore operatorLedger, Disruptor disruptor,
                       EventRecorder events, OperatorMetrics metrics, Clock clock, int operatorMaxRestartsPerHour) {
        if (operatorMaxRestartsPerHour < 0 || operatorMaxRestartsPerHour > OperatorLedger.MAX_CAP) {
            throw new IllegalArgumentException("the operator-wide restart cap must be between 0 and " + OperatorLedger.MAX_CAP
                    + ", got " + operatorMaxRestartsPerHour);
        }
        this.facts = facts;
        this.ledgers = ledgers;
        this.operatorLedger = operatorLedger;
        this.disruptor = disruptor;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.operatorMaxRestartsPerHour = operatorMaxRestartsPerHour;
    }

    /**
     * Why a pod is backing off, with what the door reports for it: the rule in outcomes, the
     * {@code result} of the action metric and the Event reason (written once per episode).
     */
    private enum Refused {
        BY_BUDGET(BlockRule.DISRUPTION_BUDGET, "pdb_blocked", EventReason.RestartBlocked),
        THROTTLED(BlockRule.THROTTLED, "throttled", EventReason.EvictionThrottled),
        BUDGETS_MISCONFIGURED(BlockRule.PDB_MISCONFIGURED, "pdb_misconfigured", EventReason.DisruptionBudgetMisconfigured),
        /** An error answer after which the cluster showed that nothing happened. */
        FAILED(null, RestartOutcome.Result.failed.name(), EventReason.RestartFailed);

        final BlockRule rule;
        final String metricResult;
        final EventReason reason;

        Refused(BlockRule rule, String metricResult, EventReason reason) {
            this.rule = rule;
            this.metricResult = metricResult;
            this.reason = reason;
        }

        static Refused of(EvictionRefusal.Kind kind) {
            return switch (kind) {
                case PDB_BLOCKED -> BY_BUDGET;
                case THROTTLED -> THROTTLED;
                case PDB_MISCONFIGURED -> BUDGETS_MISCONFIGURED;
            };
        }
    }

    /** One request: who asked, for which pod, and why (the leak in numbers and its top groups, for the Event). */
    private record Call(PolicyRef policy, String namespace, String podName, String podUid, RestartSettings settings, String why,
                        long now, RestartPlan plan) {
    }

    @Override
    public RestartPace pace(PolicyRef policy, String workload) {
        RestartLedger ledger = ledgers.known().get(policy.uid());
        return ledger == null ? RestartPace.ASSUMED : ledger.paceOf(workload);
    }

    @Override
    public RestartOutcome requestRestart(ResolvedPolicy policy, ScrapeTarget pod, String why, RestartPlan plan) {
        RestartSettings settings = policy.restart();
        if (settings.type() == ActionType.Annotate) {
            throw new IllegalArgumentException("requestRestart is for Evict and RolloutRestart policies");
        }
        Call call = new Call(policy.ref(), pod.pod().namespace(), pod.pod().name(), pod.podUid(), settings, why, clock.millis(), plan);
        String intended = settings.type() == ActionType.Evict ? RestartStrategy.Evict.metricType()
                : RestartStrategy.RolloutRestart.metricType();

        OptionalLong backingOff;
        Refused lastRefusal;
        synchronized (memory) {
            backingOff = refusals.waitingUntil(call.podUid, call.now);
            lastRefusal = refusedAs.get(call.podUid);
        }
        if (backingOff.isPresent() && lastRefusal != null) {
            String next = "; next try at " + Instant.ofEpochMilli(backingOff.getAsLong());
            metrics.action(call.namespace, call.policy.name(), intended, lastRefusal.metricResult);
            return lastRefusal == Refused.FAILED
                    ? new RestartOutcome(RestartOutcome.Result.failed, null, null, "backing off after an API error" + next)
                    : new RestartOutcome(RestartOutcome.Result.blocked, null, lastRefusal.rule.id(),
                            "backing off: " + lastRefusal.rule.id() + next);
        }
        Pod fresh;
        WorkloadFacts.Snapshot cluster;
        int operatorRestarts;
        try {
            operatorRestarts = operatorRestartsLastHour(call);
            fresh = facts.pod(call.namespace, call.podName);
            if (fresh == null || !call.podUid.equals(fresh.getMetadata().getUid())) {
                podGone(call.podUid);
                return blocked(call, intended, null, BlockRule.POD_GONE, "the pod no longer exists");
            }
            cluster = facts.around(fresh, policy.selector());
        } catch (KubernetesClientException e) {
            log.warn("restart of pod {}/{} failed: {}", call.namespace, call.podName, e.getMessage());
            return failed(call, intended, null, "API error: " + e.getMessage());
        }
        WorkloadFacts.Workload workload = cluster.workload();
        AtomicReference<RestartDecision> decided = new AtomicReference<>();
        AtomicReference<RestartFacts> found = new AtomicReference<>();
        AtomicReference<LedgerEntry> recorded = new AtomicReference<>();
        LedgerStore.LedgerWrite written;
        try {
            written = ledgers.update(call.policy, stored -> {
                RestartLedger ledger = cluster.withMeasuredPaces(stored, call.now);
                RestartFacts restartFacts = facts(call, fresh, cluster, ledger, operatorRestarts);
                RestartDecision decision = RestartRules.decide(settings, restartFacts);
                found.set(restartFacts);
                decided.set(decision);
                if (!decision.allowed()) {
                    return ledger;
                }
                LedgerEntry entry = entry(call, workload, decision);
                recorded.set(entry);
                Integer budgetAllows = decision.dryRun() ? null : cluster.budgetAllows(fresh);
                if (budgetAllows != null) {
                    ledger = ledger.withPace(workload.key(), ledger.paceOf(workload.key()).withBudgetAllows(budgetAllows));
                }
                return ledger.withRestart(entry, call.now, RestartLedger.retention(settings));
            });
        } catch (KubernetesClientException e) {
            RestartDecision decision = decided.get();
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND && decision == null) {
                return failed(call, intended, null, "the LeakPolicy no longer exists");
            }
            if (decision != null && decision.allowed()) {
                return failed(call, decision.strategy().metricType(), decision.strategy(),
                        "could not record the restart in the ledger: " + e.getMessage());
            }
            log.warn("restart of pod {}/{} failed: {}", call.namespace, call.podName, e.getMessage());
            return failed(call, intended, null, "API error: " + e.getMessage());
        }
        RestartDecision decision = decided.get();
        reportGivenUp(call, fresh, cluster, cluster.stalled(written.after(), call.now));
        reportShortfall(call, fresh, workload, cluster.inFlight(written.after(), call.now), found.get());
        if (!decision.allowed()) {
            return blocked(call, intended, fresh, decision.blockedBy(), decision.message());
        }
        RestartOutcome notReserved = reserveOperatorSlot(call, fresh, intended, decision, recorded.get());
        if (notReserved != null) {
            return notReserved;
        }
        return act(call, fresh, workload, decision, recorded.get(), written.after());
    }

    /**
     * Restarts all policies started in the last hour (or would have, for a dry run), as decided on: the copy of the
     * operator-wide ledger last seen, or, when that copy says the cap is reached, the ledger as stored, since another
     * replica may have given a slot back meanwhile. The API server is asked only at the cap, never on every request.
     */
    private int operatorRestartsLastHour(Call call) {
        long hourAgo = RestartRules.hourAgo(call.now);
        boolean dryRun = call.settings.dryRun();
        int seen = operatorLedger.known().startedSince(hourAgo, dryRun);
        if (RestartRules.operatorBudget(seen, operatorMaxRestartsPerHour) == null) {
            return seen;
        }
        return operatorLedger.update(UnaryOperator.identity()).startedSince(hourAgo, dryRun);
    }

    /**
     * The second of a restart's two records: its slot of the operator-wide cap, taken on the operator-wide ledger as
     * stored (another replica may have taken the last one since this one decided). Written after the policy's ledger,
     * so that only a restart the policy's rules allowed takes a slot; when no slot is left or the write fails, the
     * policy's entry is given back and nothing is restarted. Null when the slot is taken.
     */
    private RestartOutcome reserveOperatorSlot(Call call, Pod pod, String intended, RestartDecision decision, LedgerEntry entry) {
        OperatorLedger.Start start = OperatorLedger.Start.of(call.policy.uid(), entry);
        AtomicReference<RestartDecision> refused = new AtomicReference<>();
        try {
            operatorLedger.update(stored -> {
                OperatorLedger.Reservation reservation = stored.reserve(start, operatorMaxRestartsPerHour);
                refused.set(reservation.refusal());
                return reservation.ledger();
            });
        } catch (KubernetesClientException e) {
            // The write may have been carried out all the same (an error answer proves nothing): the slot is given back too.
            releaseEntry(call, entry);
            releaseSlot(call, entry);
            return failed(call, decision.strategy().metricType(), decision.strategy(),
                    "could not record the restart in the operator-wide ledger: " + e.getMessage());
        }
        if (refused.get() != null) {
            releaseEntry(call, entry);
            return blocked(call, intended, pod, refused.get().blockedBy(), refused.get().message());
        }
        return null;
    }

    /**
     * Rollout restarts that showed no progress within the deadline no longer hold a maxConcurrent slot; their
     * entries stay in the ledger, so the cooldown still spaces the next try. Said once per rollout, on its workload.
     */
    private void reportGivenUp(Call call, Pod pod, WorkloadFacts.Snapshot cluster, List<LedgerEntry> stalled) {
        for (LedgerEntry entry : stalled) {
            synchronized (memory) {
                if (reportedStalls.put(entry.workload() + "@" + entry.restartedAt(), entry.pod()) != null) {
                    continue;
                }
            }
            HasMetadata workload = cluster.workloadNamed(entry.workload());
            events.record(workload != null ? workload : pod, EventReason.RestartGivenUp, "The rollout restart of " + entry.workload()
                    + " requested at " + entry.restartedAt() + " for pod " + entry.pod() + " (policy " + call.policy.name()
                    + ") brought no Ready pod within " + InFlightRules.ROLLOUT_PROGRESS_DEADLINE.toMinutes() + "m: given up, it no "
                    + "longer counts against maxConcurrent (the cooldown still applies). Check whether the workload is paused or its "
                    + "update strategy is OnDelete, and its new pods' events.");
        }
    }

    /** One Warning on the workload when the hourly budgets cannot cover the restarts its plan needs within the hour; once per shortfall. */
    private void reportShortfall(Call call, Pod pod, WorkloadFacts.Workload workload, WorkloadFacts.Flights flights,
                                 RestartFacts found) {
        if (call.plan == null || found == null) {
            return;
        }
        int allowed = Math.min(call.settings.maxRestartsPerHour() - found.policyRestartsLastHour(),
                found.operatorMaxRestartsPerHour() - found.operatorRestartsLastHour());
        Optional<RestartPlan.Shortfall> shortfall = call.plan.shortfall(allowed, call.now, flights.podUids());
        String key = call.policy.uid() + "/" + workload.key();
        String reported = shortfall.map(s -> s.needed() + "/" + s.allowed() + "/" + s.uncovered()).orElse(null);
        boolean changed;
        synchronized (memory) {
            changed = !Objects.equals(reported, reported == null ? lastShortfall.remove(key) : lastShortfall.put(key, reported));
        }
        if (changed && shortfall.isPresent()) {
            String message = shortfall.get().describe(workload.key()) + " (policy " + call.policy.name() + ", maxRestartsPerHour "
                    + call.settings.maxRestartsPerHour() + ", operator cap " + found.operatorMaxRestartsPerHour()
                    + "). The budgets stay hard limits: raise them or fix the leak before these replicas are OOM-killed.";
            events.record(workload.object() != null ? workload.object() : pod, EventReason.RestartBudgetShort, message);
        }
    }

    /** What the rules need, from the cluster as read, the policy's ledger as stored and the operator-wide count. */
    private RestartFacts facts(Call call, Pod pod, WorkloadFacts.Snapshot cluster, RestartLedger ledger, int operatorRestarts) {
        boolean dryRun = call.settings.dryRun();
        WorkloadFacts.Workload workload = cluster.workload();
        WorkloadFacts.Flights flights = cluster.inFlight(ledger, call.now);
        long hourAgo = RestartRules.hourAgo(call.now);
        OptionalLong latestStart = call.plan == null ? OptionalLong.empty()
                : call.plan.slotOf(call.podUid).map(s -> OptionalLong.of(s.startByMillis())).orElse(OptionalLong.empty());
        return new RestartFacts(
                excluded(pod),
                Pods.running(pod) && Pods.ready(pod),
                Pods.terminating(pod),
                flights.cover(call.podUid, workload.key()),
                workload.shape(), flights.count(),
                ledger.lastRestartOf(workload.key(), dryRun),
                ledger.startedSince(hourAgo, dryRun),
                operatorRestarts, operatorMaxRestartsPerHour, call.now,
                latestStart, closerReplica(call, cluster, flights));
    }

    private static boolean excluded(Pod pod) {
        return "true".equals(Pods.annotation(pod, PodAnnotations.EXCLUDE));
    }

    /** What the rules would not block for: not excluded, Running and Ready, not terminating, no restart in flight. */
    private static boolean restartable(Pod pod, WorkloadFacts.Flights flights, WorkloadFacts.Workload workload) {
        return !excluded(pod) && Pods.running(pod) && Pods.ready(pod) && !Pods.terminating(pod)
                && !flights.cover(pod.getMetadata().getUid(), workload.key());
    }

    /**
     * A replica ahead of this one in its workload's plan (closer to its limit) that could be evicted now:
     * it goes first. One that is excluded, not Ready or already being restarted holds nobody up.
     */
    private static String closerReplica(Call call, WorkloadFacts.Snapshot cluster, WorkloadFacts.Flights flights) {
        if (call.plan == null || call.settings.type() != ActionType.Evict) {
            return null;
        }
        for (RestartPlan.Replica ahead : call.plan.ahead(call.podUid)) {
            for (Pod other : cluster.pods()) {
                if (ahead.podUid().equals(other.getMetadata().getUid())
                        && restartable(other, flights, cluster.workload())) {
                    return ahead.pod();
                }
            }
        }
        return null;
    }

    private static LedgerEntry entry(Call call, WorkloadFacts.Workload workload, RestartDecision decision) {
        RestartStrategy strategy = decision.strategy();
        return new LedgerEntry(call.podName, call.podUid, workload.key(),
                workload.owner().getKind(), workload.owner().getName(), workload.owner().getUid(), strategy, call.now,
                strategy == RestartStrategy.Evict ? workload.readyOfOwner() : workload.shape().readyPods(),
                strategy == RestartStrategy.RolloutRestart && !decision.dryRun() ? rfc3339(call.now) : null, decision.dryRun());
    }

    /** Recorded in the ledger: now mark the pod and restart it (or, in a dry run, only say what would happen). */
    private RestartOutcome act(Call call, Pod pod, WorkloadFacts.Workload workload, RestartDecision decision, LedgerEntry entry,
                               RestartLedger ledger) {
        RestartStrategy strategy = decision.strategy();
        boolean evict = strategy == RestartStrategy.Evict;
        String at = rfc3339(call.now);
        String target = evict ? "pod " + call.namespace + "/" + call.podName : workload.key() + " (leaking pod " + call.podName + ")";
        if (decision.dryRun()) {
            String would = (evict ? "would evict " : "would rollout-restart ") + target;
            try {
                disruptor.mark(call.namespace, call.podName, PodAnnotations.WOULD_RESTART_AT, at);
            } catch (KubernetesClientException e) {
                log.warn("could not mark pod {}/{} with {}: {}", call.namespace, call.podName, PodAnnotations.WOULD_RESTART_AT,
                        e.getMessage());
            }
            podSettled(call.podUid);
            events.record(pod, EventReason.WouldRestart, "Dry run: " + would + " (" + decision.message()
                    + "); nothing was changed. Why: " + call.why + planNote(call, ledger));
            metrics.action(call.namespace, call.policy.name(), strategy.metricType(), RestartOutcome.Result.dry_run.name());
            return new RestartOutcome(RestartOutcome.Result.dry_run, strategy, null, would);
        }
        try {
            disruptor.mark(call.namespace, call.podName, PodAnnotations.RESTART_REQUESTED_AT, at);
            if (evict) {
                Optional<EvictionRefusal> refusal = disruptor.evict(call.namespace, call.podName);
                if (refusal.isPresent()) {
                    return refused(call, pod, entry, refusal.get());
                }
            } else {
                disruptor.rolloutRestart(workload.object(), at);
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND && evict) {
                takeBack(call, entry);
                podSettled(call.podUid);
                return blocked(call, strategy.metricType(), null, BlockRule.POD_GONE, "the pod no longer exists");
            }
            // An error answer (5xx, timeout, broken connection) does not prove the server did nothing. Taking
            // back the entry of a restart that did happen would free its cooldown and maxConcurrent slot
            // for a second restart, so the entry goes only when the cluster shows that nothing happened.
            Boolean happened = facts.restartShows(pod, workload, evict, at);
            String failure = "could not " + (evict ? "evict " : "rollout-restart ") + target + ": " + e.getMessage();
            if (happened == null) {
                return failed(call, strategy.metricType(), strategy, failure
                        + "; the ledger keeps the request, since the cluster could not be read to tell whether it was carried out");
            }
            if (!happened) {
                takeBack(call, entry);
                RetryBackoff.Refusal backoff = backOff(call, Refused.FAILED, 0);
                if (backoff.first()) {
                    events.record(pod, EventReason.RestartFailed, "Restart failed: " + failure + ". Nothing happened; leakguard "
                            + "backs off (" + Duration.ofMillis(backoff.delayMillis()).toSeconds() + "s, doubling to 10m) and tries "
                            + "again. Why: " + call.why);
                }
                return failed(call, strategy.metricType(), strategy, failure + "; retrying in "
                        + Duration.ofMillis(backoff.delayMillis()).toSeconds() + "s");
            }
            log.warn("{}: the API server answered {} but the restart took place; it stays in the ledger", target, e.getCode());
        }
        podSettled(call.podUid);
        String done = (evict ? "Evicted " : "Rollout-restarted ") + target;
        events.record(pod, evict ? EventReason.Evicted : EventReason.RolloutRestarted,
                done + " (" + decision.message() + ") for policy " + call.policy.name() + ". Why: " + call.why);
        metrics.action(call.namespace, call.policy.name(), strategy.metricType(), RestartOutcome.Result.done.name());
        if (call.plan != null && call.plan.slots().size() > 1 && workload.object() != null) {
            events.record(workload.object(), EventReason.RestartPlanned, "Restarting the leaking replicas of " + workload.key()
                    + " one lane at a time so each is replaced before its predicted OOM; started " + call.podName + ". Plan: "
                    + call.plan.describe(ledger.paceOf(workload.key()).measured()));
        }
        reportRestartLoop(call, pod, workload, ledger);
        return new RestartOutcome(RestartOutcome.Result.done, strategy, null, done);
    }

    /**
     * The server refused the eviction and nothing happened: the records are taken back, the pod backs off
     * (30 s doubling to 10 min, never sooner than the server's Retry-After) and the first refusal of an
     * episode is told in an Event whose reason says which kind it was.
     */
    private RestartOutcome refused(Call call, Pod pod, LedgerEntry entry, EvictionRefusal refusal) {
        takeBack(call, entry);
        Refused kind = Refused.of(refusal.kind());
        RetryBackoff.Refusal backoff = backOff(call, kind, refusal.retryAfterMillis());
        long delay = Duration.ofMillis(backoff.delayMillis()).toSeconds();
        String message;
        String event;
        switch (refusal.kind()) {
            case PDB_BLOCKED -> {
                List<String> budgets = facts.budgetsOf(pod);
                String budgetText = budgets.isEmpty() ? "a PodDisruptionBudget" : "PodDisruptionBudget " + String.join(", ", budgets);
                message = "eviction refused by " + budgetText + ": it allows no disruption now; retrying in " + delay + "s";
                event = "Restart not started (" + kind.rule.id() + "): the eviction was refused by " + budgetText
                        + ", which allows no disruption now (" + refusal.message() + "). leakguard backs off "
                        + "(30s doubling to 10m) and never bypasses the budget.";
            }
            case THROTTLED -> {
                message = "the API server is throttling (429 without a PodDisruptionBudget cause); retrying in " + delay + "s";
                event = "Restart not started (" + kind.rule.id() + "): the API server answered 429 without a PodDisruptionBudget "
                        + "cause (API Priority and Fairness shed the request: \"" + refusal.message() + "\"). leakguard backs off "
                        + delay + "s" + (refusal.retryAfterMillis() > 0 ? " (Retry-After " + refusal.retryAfterMillis() / 1000 + "s)" : "")
                        + ", doubling to 10m, and tries again.";
            }
            default -> {
                List<String> budgets = facts.budgetsOf(pod);
                message = "the pod matches more than one PodDisruptionBudget (" + String.join(", ", budgets)
                        + "), which the eviction API refuses; retrying in " + delay + "s";
                event = "Restart not started (" + kind.rule.id() + "): the pod matches more than one PodDisruptionBudget ("
                        + String.join(", ", budgets) + "), so the API server refuses every eviction of it (500: \""
                        + refusal.message() + "\"). Fix the budgets so that one selects the pod; until then leakguard backs "
                        + "off (30s doubling to 10m) and the pod may be OOM-killed.";
            }
        }
        if (backoff.first()) {
            events.record(pod, kind.reason, event + " Why: " + call.why);
        }
        metrics.action(call.namespace, call.policy.name(), RestartStrategy.Evict.metricType(), kind.metricResult);
        return new RestartOutcome(RestartOutcome.Result.blocked, RestartStrategy.Evict, kind.rule.id(), message);
    }

    /** Starts or lengthens the pod's backoff; a refusal of another kind than the last starts a new episode. */
    private RetryBackoff.Refusal backOff(Call call, Refused kind, long atLeastMillis) {
        synchronized (memory) {
            if (refusedAs.put(call.podUid, kind) != kind) {
                refusals.clear(call.podUid);
            }
            return refusals.refused(call.podUid, call.now, atLeastMillis);
        }
    }

    /** Undoes the records of a restart that did not happen: the ledger entry, its operator-wide slot and the pod's marker. */
    private void takeBack(Call call, LedgerEntry entry) {
        releaseEntry(call, entry);
        releaseSlot(call, entry);
        try {
            disruptor.unmark(call.namespace, call.podName, PodAnnotations.RESTART_REQUESTED_AT);
        } catch (KubernetesClientException e) {
            log.warn("could not remove {} from pod {}/{}: {}", PodAnnotations.RESTART_REQUESTED_AT, call.namespace, call.podName,
                    e.getMessage());
        }
    }

    private void releaseEntry(Call call, LedgerEntry entry) {
        try {
            ledgers.update(call.policy, l -> l.withoutRestart(entry));
        } catch (KubernetesClientException e) {
            // The entry stays; InFlightRules.STALE_REQUEST releases its slot once the pod is seen still serving.
            log.warn("could not take back the ledger entry for pod {}/{}: {}", call.namespace, call.podName, e.getMessage());
        }
    }

    private void releaseSlot(Call call, LedgerEntry entry) {
        try {
            operatorLedger.update(l -> l.without(OperatorLedger.Start.of(call.policy.uid(), entry)));
        } catch (KubernetesClientException e) {
            // The slot stays taken until it is an hour old: the cap errs on the side of fewer restarts.
            log.warn("could not give back the operator-wide slot of pod {}/{}: {}", call.namespace, call.podName, e.getMessage());
        }
    }

    private void reportRestartLoop(Call call, Pod pod, WorkloadFacts.Workload workload, RestartLedger ledger) {
        Duration window = call.settings.loop().window();
        int recent = ledger.restartsOf(workload.key(), call.now - window.toMillis());
        if (call.settings.loop().isLoop(recent)) {
            if (workload.object() != null) {
                events.record(workload.object(), EventReason.RestartLoop, restartLoopMessage(call, workload, recent, window));
            } else {
                events.record(pod, EventReason.RestartLoop, restartLoopMessage(call, workload, recent, window));
            }
            metrics.restartLoop(call.namespace, call.policy.name());
        }
    }

    private static String planNote(Call call, RestartLedger ledger) {
        return call.plan == null ? ""
                : ". Restart plan of " + call.plan.workload() + ": " + call.plan.describe(ledger.paceOf(call.plan.workload()).measured());
    }

    private static String restartLoopMessage(Call call, WorkloadFacts.Workload workload, int recent, Duration window) {
        return workload.key() + " was restarted " + recent + " times within " + window.toMinutes()
                + "m by policy " + call.policy.name() + ": restarts only buy time; fix the leak";
    }

    private static <V> Map<String, V> bounded() {
        return new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > REMEMBERED_PODS;
            }
        };
    }

    /** The pod is gone (deleted, evicted, replaced): its backoff and reported block are forgotten. */
    public void podGone(String podUid) {
        podSettled(podUid);
    }

    /** The pod got its restart (or dry-run verdict) or is gone: its next refusal or block starts a new streak. */
    private void podSettled(String podUid) {
        synchronized (memory) {
            refusals.clear(podUid);
            refusedAs.remove(podUid);
            lastReportedBlock.remove(podUid);
        }
    }

    private RestartOutcome blocked(Call call, String type, Pod pod, BlockRule rule, String message) {
        if (pod != null) {
            boolean newStreak;
            synchronized (memory) {
                newStreak = !rule.id().equals(lastReportedBlock.put(call.podUid, rule.id()));
            }
            if (newStreak) {
                events.record(pod, EventReason.RestartBlocked, "Restart not started (" + rule.id() + "): " + message
                        + ". Why: " + call.why);
            }
        }
        metrics.action(call.namespace, call.policy.name(), type, RestartOutcome.Result.blocked.name());
        return new RestartOutcome(RestartOutcome.Result.blocked, null, rule.id(), message);
    }

    private RestartOutcome failed(Call call, String type, RestartStrategy strategy, String message) {
        metrics.action(call.namespace, call.policy.name(), type, RestartOutcome.Result.failed.name());
        return new RestartOutcome(RestartOutcome.Result.failed, strategy, null, message);
    }

    private static String rfc3339(long millis) {
        return Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
