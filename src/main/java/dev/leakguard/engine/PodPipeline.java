package dev.leakguard.engine;

import dev.leakguard.decide.EventReason;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.decide.RestartOutcome;
import dev.leakguard.decide.RestartPlan;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.profile.GroupGrowth;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.Grouping;
import dev.leakguard.profile.GrowthRanking;
import dev.leakguard.text.BoundedText;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to every reading of a watched pod: detector update, metrics, then the pure plan of
 * {@link Reactions} carried out through the engine's {@link Ports} — annotations, profiles,
 * evidence, Events and restart requests. Cluster writes go to {@link PodActions} so that a slow API
 * server never delays a scrape. On the first leaking reading the order is: profile, evidence,
 * OOMPredicted Event, restart request — so the evidence exists before any eviction is asked for. A
 * replica is acted on when its own horizon arrives or earlier, when its workload's {@link RestartPlan}
 * says the queue of replicas in step with it cannot wait ({@link WorkloadPlans}).
 * Knows no Kubernetes type: it runs the same against the operator's adapters and against the
 * {@code Testing*} fakes of the engine's tests, on any {@link Clock}.
 */
public final class PodPipeline {
    private static final Logger log = LoggerFactory.getLogger(PodPipeline.class);
    /** A blocked restart is asked again no sooner than this many scrape intervals later. */
    static final int RESTART_RETRY_INTERVALS = 4;
    /**
     * A group's line as kept for status, Events and evidence. Names come from the pod's own profile,
     * up to 64 KiB each: cut and cleaned here, twenty of them cannot bloat the policy's status.
     */
    private static final int MAX_GROUP_BYTES = 300;
    /** A suspect or leaking pod's numbers are re-annotated at most this often; its verdict at once. */
    static final long ANNOTATION_REFRESH_MILLIS = 5 * 60_000L;

    private final Clock clock;
    private final Ports ports;
    private final PodActions actions;
    private final OperatorMetrics metrics;
    private final Consumer<PolicyKey> verdictChanged;
    private final WorkloadPlans plans;

    /** {@code verdictChanged} hears of every pod whose verdict changed, so that the policy's status can follow. */
    public PodPipeline(Clock clock, Ports ports, PodActions actions, OperatorMetrics metrics, Consumer<PolicyKey> verdictChanged) {
        this.clock = clock;
        this.ports = ports;
        this.actions = actions;
        this.metrics = metrics;
        this.verdictChanged = verdictChanged;
        this.plans = new WorkloadPlans(ports.restarter(), metrics);
    }

    /** The pod is no longer watched by the policy: it leaves its workload's restart plan. */
    public void forget(PolicyKey policy, ScrapeTarget target) {
        plans.forget(policy, target);
    }

    public void onReading(ResolvedPolicy policy, PodState state, Reading reading) {
        PodKey pod = state.target().pod();
        Verdict before = state.effectiveVerdict();
        if (reading instanceof Reading.Failed failed) {
            metrics.scrape(pod.namespace(), policy.key().name(), failed.result(), failed.elapsedNanos());
            state.scrapeFailed(failed.message());
            log.debug("scrape of {} failed: {}", pod, failed.message());
        } else {
            Reading.Ok ok = (Reading.Ok) reading;
            metrics.scrape(pod.namespace(), policy.key().name(), "success", ok.elapsedNanos());
            Assessment assessment = state.observe(ok.sample());
            long now = clock.millis();
            RestartPlan restartPlan = plans.observe(policy, state.target(), assessment, now);
            // The plan may start a replica before its horizon, never before the detector confirmed a leak within it.
            boolean beyondHorizon = assessment.secondsToLimit() * 1000 > policy.detection().horizon().toMillis();
            boolean due = restartPlan != null && beyondHorizon && restartPlan.due(state.target().podUid(), now);
            Reactions.Plan plan = Reactions.plan(state.progress(), assessment, due, policy.hasProfile(), policy.restart().type());
            state.progress(plan.next());
            carryOut(policy, state, assessment, plan, restartPlan);
            // Latency, not logic: how long this reading really took to decide on.
            metrics.decision(pod.namespace(), policy.key().name(), System.nanoTime() - ok.receivedNanos());
        }
        Verdict after = state.effectiveVerdict();
        metrics.pod(pod.namespace(), pod.name(), policy.key().name(), after, state.assessment());
        if (after != before) {
            updateAnnotations(state, after);
            verdictChanged.accept(policy.key());
        } else if (after == Verdict.SUSPECT || after == Verdict.LEAKING) {
            updateAnnotations(state, after);
        }
    }

    private void carryOut(ResolvedPolicy policy, PodState state, Assessment assessment, Reactions.Plan plan,
                          RestartPlan restartPlan) {
        if (plan.announceSuspicion()) {
            ports.events().podEvent(state.target(), EventReason.LeakSuspected, LeakMessages.suspicion(policy, state.target(), assessment));
        }
        boolean acting = plan.announceOom() || plan.captureEvidence();
        if (plan.takeProfileBaseline() && !acting) {
            ports.profiles().capture(policy.profileType(), state.target().profileUri(), state.target().access()).thenAccept(snapshot -> {
                if (snapshot.ok()) {
                    state.profileBaseline(snapshot.groups());
                } else {
                    log.info("baseline profile of {} not taken: {}", state.target().pod(), snapshot.error());
                }
            });
        }
        if (acting) {
            CompletableFuture<ProfileSnapshot> profile = policy.hasProfile()
                    ? ports.profiles().capture(policy.profileType(), state.target().profileUri(), state.target().access())
                    : CompletableFuture.completedFuture(null);
            state.acting(true);
            profile.thenAccept(snapshot -> actions.submit(state, PodActions.Kind.ACT, () -> {
                try {
                    act(policy, state, assessment, plan, snapshot, restartPlan);
                } finally {
                    state.acting(false);
                }
            }));
        } else if (plan.requestRestart() && !state.acting()) {
            // While the profile and evidence are still being taken, the restart waits for act(), which asks for it.
            requestRestart(policy, state, assessment, restartPlan);
        }
    }

    /**
     * What the groups were built from: goroutines or threads read, those without frames (counted,
     * never ranked) and records the parser skipped, so nobody takes a partial profile for a whole one.
     */
    public static String profileSummary(ProfileType type, ProfileSnapshot snapshot) {
        if (snapshot == null || !snapshot.ok()) {
            return "";
        }
        StringBuilder line = new StringBuilder("Profile: ").append(snapshot.groups().total()).append(' ')
                .append(type.unitNoun()).append(" in ").append(snapshot.groups().size()).append(" groups");
        long frameless = snapshot.groups().count(Grouping.NO_FRAMES_KEY);
        if (frameless > 0) {
            line.append("; ").append(frameless).append(" without frames (starting or exiting, not ranked)");
        }
        if (snapshot.skipped() != null) {
            line.append("; ").append(snapshot.skipped());
        }
        return line.append('\n').toString();
    }

    /** Runs as an action: rank groups, keep evidence, announce, then ask for the restart. */
    private void act(ResolvedPolicy policy, PodState state, Assessment assessment, Reactions.Plan plan, ProfileSnapshot snapshot,
                     RestartPlan restartPlan) {
        ScrapeTarget target = state.target();
        String profileNote = null;
        if (snapshot != null && snapshot.ok()) {
            List<GroupGrowth> top = GrowthRanking.rank(state.profileBaseline(), snapshot.groups(), policy.topGroups());
            state.topGroups(top.stream()
                    .map(g -> BoundedText.bounded(g.describe(policy.profileType().unitNoun()), MAX_GROUP_BYTES)).toList(),
                    snapshot.skipped());
            if (state.profileBaseline() == null) {
                state.profileBaseline(snapshot.groups());
            }
        } else if (snapshot != null) {
            profileNote = snapshot.error();
        }
        if (plan.captureEvidence()) {
            try {
                String summary = "Captured by leakguard when " + target.pod() + " was predicted to reach its memory limit.\n"
                        + LeakMessages.oomPredicted(policy, target, assessment, state.evidence(), state.topGroups(), profileNote) + "\n"
                        + "Top groups:\n  " + String.join("\n  ", state.topGroups()) + "\n"
                        + profileSummary(policy.profileType(), snapshot);
                String name = ports.evidence().store(policy.ref(), target, clock.instant(), summary, snapshot);
                state.evidence(name);
                state.annotationsWritten(ports.annotations().annotate(target.pod(), state.annotationsWritten(),
                        Map.of(PodAnnotations.EVIDENCE, name)));
            } catch (RuntimeException e) {
                log.warn("could not store evidence for {}: {}", target.pod(), e.getMessage());
            }
        }
        if (plan.announceOom()) {
            String message = LeakMessages.oomPredicted(policy, target, assessment, state.evidence(), state.topGroups(), profileNote);
            ports.events().podEvent(target, EventReason.OOMPredicted, message);
            ports.events().policyEvent(policy.ref(), EventReason.OOMPredicted, "Pod " + target.pod().name() + ": " + message);
        }
        if (plan.requestRestart()) {
            requestRestart(policy, state, assessment, restartPlan);
        }
    }

    private void requestRestart(ResolvedPolicy policy, PodState state, Assessment assessment, RestartPlan restartPlan) {
        long now = clock.millis();
        if (!state.tryQueueRestart(now)) {
            return;
        }
        long retryAt = now + policy.interval().toMillis() * RESTART_RETRY_INTERVALS;
        actions.submit(state, PodActions.Kind.RESTART, () -> {
            try {
                RestartOutcome outcome = ports.restarter().requestRestart(policy, state.target(),
                        LeakMessages.restartReason(assessment, state.topGroups()), restartPlan);
                log.info("restart of {}: {} {}", state.target().pod(), outcome.result(), outcome.message());
            } catch (RuntimeException e) {
                log.warn("restart of {} failed: {}", state.target().pod(), e.getMessage());
            } finally {
                state.restartAttemptDone(retryAt);
            }
        });
    }

    /**
     * At most one annotation write per pod waits: while it waits (a slow API server), newer values
     * replace the pending ones instead of queueing a patch per scrape ahead of Events and restarts.
     * A new verdict is written at once, new numbers at most every {@link #ANNOTATION_REFRESH_MILLIS}.
     */
    private void updateAnnotations(PodState state, Verdict verdict) {
        if (!state.wantAnnotations(verdict, clock.millis(), ANNOTATION_REFRESH_MILLIS)) {
            return;
        }
        PodKey pod = state.target().pod();
        actions.submit(state, PodActions.Kind.ANNOTATE, () -> {
            for (Map<String, String> wanted = state.nextAnnotations(); wanted != null; wanted = state.nextAnnotations()) {
                try {
                    state.annotationsWritten(ports.annotations().annotate(pod, state.annotationsWritten(), wanted));
                } catch (RuntimeException e) {
                    log.warn("could not annotate {}: {}", pod, e.getMessage());
                }
            }
        });
    }
}
