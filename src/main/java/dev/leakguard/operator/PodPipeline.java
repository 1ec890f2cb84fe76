package dev.leakguard.operator;

import dev.leakguard.act.EventReason;
import dev.leakguard.act.EventRecorder;
import dev.leakguard.act.EvidenceStore;
import dev.leakguard.act.PodAnnotator;
import dev.leakguard.act.PodRestarter;
import dev.leakguard.act.RestartOutcome;
import dev.leakguard.api.ActionSpec;
import dev.leakguard.decide.Format;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.decide.Reactions;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.profile.EventMessages;
import dev.leakguard.profile.GroupGrowth;
import dev.leakguard.profile.Grouping;
import dev.leakguard.profile.ProfileType;
import dev.leakguard.profile.GrowthRanking;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.FetchResult;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to every reading: detector update, metrics, then the pure plan of
 * {@link Reactions} carried out at the edges — annotations, profiles, evidence, Events and
 * restarts. Cluster writes run on the action executor so that a slow API server never delays a
 * scrape. On the first leaking reading the order is: profile, evidence ConfigMap, OOMPredicted
 * Event, restart — so the evidence exists before any eviction request is sent.
 */
final class PodPipeline {
    private static final Logger log = LoggerFactory.getLogger(PodPipeline.class);
    /** A blocked restart is asked again no sooner than this many scrape intervals later. */
    private static final int RESTART_RETRY_INTERVALS = 4;
    /**
     * A group's line as kept for status, Events and evidence. Names come from the pod's own profile,
     * up to 64 KiB each: cut and cleaned here, twenty of them cannot bloat the policy's status.
     */
    private static final int MAX_GROUP_BYTES = 300;
    /** A suspect or leaking pod's numbers are re-annotated at most this often; its verdict at once. */
    static final long ANNOTATION_REFRESH_MILLIS = 5 * 60_000L;

    private final ScaledClock clock;
    private final PodAnnotator annotator;
    private final EventRecorder events;
    private final EvidenceStore evidence;
    private final PodRestarter restarter;
    private final ProfileCollector profiles;
    private final HttpFetcher fetcher;
    private final FetchLimits metricsLimits;
    private final OperatorMetrics metrics;
    private final Executor actions;
    private final Consumer<PolicyKey> verdictChanged;

    PodPipeline(ScaledClock clock, PodAnnotator annotator, EventRecorder events, EvidenceStore evidence, PodRestarter restarter,
                ProfileCollector profiles, HttpFetcher fetcher, FetchLimits metricsLimits, OperatorMetrics metrics, Executor actions,
                Consumer<PolicyKey> verdictChanged) {
        this.clock = clock;
        this.annotator = annotator;
        this.events = events;
        this.evidence = evidence;
        this.restarter = restarter;
        this.profiles = profiles;
        this.fetcher = fetcher;
        this.metricsLimits = metricsLimits;
        this.metrics = metrics;
        this.actions = actions;
        this.verdictChanged = verdictChanged;
    }

    void onReading(PolicyLoops loops, PodState state, Reading reading) {
        ResolvedPolicy policy = loops.policy;
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
            Reactions.Plan plan = Reactions.plan(state.progress(), assessment, policy.hasProfile(), policy.actionType());
            state.progress(plan.next());
            carryOut(loops, state, assessment, plan);
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

    private void carryOut(PolicyLoops loops, PodState state, Assessment assessment, Reactions.Plan plan) {
        ResolvedPolicy policy = loops.policy;
        if (plan.announceSuspicion()) {
            events.record(state.pod(), EventReason.LeakSuspected, suspicionMessage(policy, assessment));
        }
        boolean acting = plan.announceOom() || plan.captureEvidence();
        if (plan.takeProfileBaseline() && !acting) {
            profiles.capture(policy.profileType(), state.target().profileUri()).thenAccept(snapshot -> {
                if (snapshot.ok()) {
                    state.profileBaseline(snapshot.groups());
                } else {
                    log.info("baseline profile of {} not taken: {}", state.target().pod(), snapshot.error());
                }
            });
        }
        if (acting) {
            CompletableFuture<ProfileCollector.Snapshot> profile = policy.hasProfile()
                    ? profiles.capture(policy.profileType(), state.target().profileUri())
                    : CompletableFuture.completedFuture(null);
            state.acting(true);
            profile.thenAcceptAsync(snapshot -> {
                try {
                    act(loops, state, assessment, plan, snapshot);
                } finally {
                    state.acting(false);
                }
            }, actions);
        } else if (plan.requestRestart() && !state.acting()) {
            // While the profile and evidence are still being taken, the restart waits for act(), which asks for it.
            requestRestart(loops, state, assessment);
        }
    }

    /** Runs on the action executor: rank groups, keep evidence, announce, then restart. */
    private void act(PolicyLoops loops, PodState state, Assessment assessment, Reactions.Plan plan, ProfileCollector.Snapshot snapshot) {
        ResolvedPolicy policy = loops.policy;
        Pod pod = state.pod();
        String profileNote = null;
        if (snapshot != null && snapshot.ok()) {
            List<GroupGrowth> top = GrowthRanking.rank(state.profileBaseline(), snapshot.groups(), policy.topGroups());
            state.topGroups(top.stream()
                    .map(g -> EventMessages.fit(g.describe(policy.profileType().unitNoun()), List.of(), MAX_GROUP_BYTES)).toList(),
                    snapshot.skipped().any() ? snapshot.skipped().summary() : null);
            if (state.profileBaseline() == null) {
                state.profileBaseline(snapshot.groups());
            }
        } else if (snapshot != null) {
            profileNote = snapshot.error();
        }
        if (plan.captureEvidence()) {
            try {
                String name = storeEvidence(loops, state, assessment, snapshot);
                state.evidence(name);
                annotator.annotate(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), state.annotationsWritten(),
                        Map.of(PodAnnotations.EVIDENCE, name));
                state.annotationsWritten(Map.of(PodAnnotations.EVIDENCE, name));
            } catch (RuntimeException e) {
                log.warn("could not store evidence for {}: {}", state.target().pod(), e.getMessage());
            }
        }
        if (plan.announceOom()) {
            String message = oomMessage(policy, assessment, state, profileNote);
            events.record(pod, EventReason.OOMPredicted, message);
            events.record(loops.resource, EventReason.OOMPredicted, "Pod " + pod.getMetadata().getName() + ": " + message);
        }
        if (plan.requestRestart()) {
            requestRestart(loops, state, assessment);
        }
    }

    private String storeEvidence(PolicyLoops loops, PodState state, Assessment assessment, ProfileCollector.Snapshot snapshot) {
        FetchResult metricsBody = fetcher.fetch(state.target().metricsUri(), metricsLimits)
                .completeOnTimeout(null, metricsLimits.totalTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS).join();
        byte[] metricsBytes = null;
        int metricsLength = 0;
        if (metricsBody instanceof FetchResult.Success success) {
            metricsBytes = success.body();
            metricsLength = success.length();
        }
        String summary = "Captured by leakguard when " + state.target().pod() + " was predicted to reach its memory limit.\n"
                + oomMessage(loops.policy, assessment, state, snapshot == null ? null : snapshot.error()) + "\n"
                + "Top groups:\n  " + String.join("\n  ", state.topGroups()) + "\n"
                + profileSummary(loops.policy.profileType(), snapshot);
        return evidence.store(loops.resource, state.pod(), Instant.ofEpochMilli(clock.millis()).toString(), summary,
                snapshot == null ? null : snapshot.raw(), snapshot == null ? 0 : snapshot.length(), metricsBytes, metricsLength);
    }

    /**
     * What the groups were built from: goroutines or threads read, those without frames (counted,
     * never ranked) and records the parser skipped, so nobody takes a partial profile for a whole one.
     */
    static String profileSummary(ProfileType type, ProfileCollector.Snapshot snapshot) {
        if (snapshot == null || !snapshot.ok()) {
            return "";
        }
        StringBuilder line = new StringBuilder("Profile: ").append(snapshot.groups().total()).append(' ')
                .append(type.unitNoun()).append(" in ").append(snapshot.groups().size()).append(" groups");
        long frameless = snapshot.groups().count(Grouping.NO_FRAMES_KEY);
        if (frameless > 0) {
            line.append("; ").append(frameless).append(" without frames (starting or exiting, not ranked)");
        }
        if (snapshot.skipped().any()) {
            line.append("; ").append(snapshot.skipped().summary());
        }
        return line.append('\n').toString();
    }

    private void requestRestart(PolicyLoops loops, PodState state, Assessment assessment) {
        long now = clock.millis();
        if (!state.tryQueueRestart(now)) {
            return;
        }
        ResolvedPolicy policy = loops.policy;
        long retryAt = now + policy.interval().toMillis() * RESTART_RETRY_INTERVALS;
        actions.execute(() -> {
            try {
                ActionSpec action = loops.resource.getSpec().getAction() == null ? new ActionSpec() : loops.resource.getSpec().getAction();
                RestartOutcome outcome = restarter.requestRestart(loops.resource, RestartSettings.from(action, policy.cooldown()),
                        state.pod(), restartReason(policy, assessment, state));
                log.info("restart of {}: {} {}", state.target().pod(), outcome.result(), outcome.message());
            } catch (RuntimeException e) {
                log.warn("restart of {} failed: {}", state.target().pod(), e.getMessage());
            } finally {
                state.restartAttemptDone(retryAt);
            }
        });
    }

    /**
     * At most one annotation write per pod is queued: while it waits (a slow API server), newer values
     * replace the pending ones instead of queueing a patch per scrape ahead of Events and restarts.
     * A new verdict is written at once, new numbers at most every {@link #ANNOTATION_REFRESH_MILLIS}.
     */
    private void updateAnnotations(PodState state, Verdict verdict) {
        if (!state.wantAnnotations(verdict, clock.millis(), ANNOTATION_REFRESH_MILLIS)) {
            return;
        }
        PodKey pod = state.target().pod();
        actions.execute(() -> {
            for (Map<String, String> wanted = state.nextAnnotations(); wanted != null; wanted = state.nextAnnotations()) {
                try {
                    state.annotationsWritten(annotator.annotate(pod.namespace(), pod.name(), state.annotationsWritten(), wanted));
                } catch (RuntimeException e) {
                    log.warn("could not annotate {}: {}", pod, e.getMessage());
                }
            }
        });
    }

    static String suspicionMessage(ResolvedPolicy policy, Assessment a) {
        StringBuilder text = new StringBuilder()
                .append("Memory ").append(policy.memory()).append(" grows ").append(Format.growth(a.memoryGrowthBytesPerSecond()))
                .append(": ").append(Format.bytes(a.memoryBytes()));
        if (!Double.isNaN(a.memoryLimitBytes())) {
            text.append(" of ").append(Format.bytes(a.memoryLimitBytes())).append(" limit, reached in ~")
                    .append(Format.duration(a.secondsToLimit())).append(" at this rate");
        } else {
            text.append(" (no memory limit known)");
        }
        appendThreads(text, policy, a);
        return text.append(". ").append(a.reason()).toString();
    }

    static String oomMessage(ResolvedPolicy policy, Assessment a, PodState state, String profileNote) {
        StringBuilder head = new StringBuilder()
                .append("Memory limit ").append(Format.bytes(a.memoryLimitBytes())).append(" predicted in ")
                .append(Format.duration(a.secondsToLimit()));
        if (a.secondsToLimitLower() < a.secondsToLimit()) {
            head.append(" (as soon as ").append(Format.duration(a.secondsToLimitLower())).append(")");
        }
        head.append(": ").append(Format.bytes(a.memoryBytes())).append(" now, ").append(Format.growth(a.memoryGrowthBytesPerSecond()));
        appendThreads(head, policy, a);
        head.append(". Action: ").append(policy.actionType()).append(policy.dryRun() ? " (dry run)" : "").append('.');
        if (state.evidence() != null) {
            head.append(" Evidence: configmap/").append(state.evidence()).append('.');
        }
        if (profileNote != null) {
            head.append(' ').append(profileNote).append('.');
        }
        List<String> groups = state.topGroups();
        if (groups.isEmpty()) {
            return EventMessages.fit(head.toString(), List.of(), EventMessages.EVENT_MESSAGE_MAX_BYTES);
        }
        return EventMessages.fit(head.append(" Top growing:").toString(), groups, EventMessages.EVENT_MESSAGE_MAX_BYTES);
    }

    private static String restartReason(ResolvedPolicy policy, Assessment a, PodState state) {
        String top = state.topGroups().isEmpty() ? "" : "; top: " + state.topGroups().get(0);
        return "memory " + Format.bytes(a.memoryBytes()) + " of " + Format.bytes(a.memoryLimitBytes()) + ", "
                + Format.growth(a.memoryGrowthBytesPerSecond()) + ", limit predicted in " + Format.duration(a.secondsToLimit()) + top;
    }

    private static void appendThreads(StringBuilder text, ResolvedPolicy policy, Assessment a) {
        if (policy.hasThreads() && !Double.isNaN(a.threads())) {
            text.append("; ").append(policy.threads()).append(' ').append(Math.round(a.threads()))
                    .append(" (").append(Format.countGrowth(a.threadGrowthPerSecond())).append(')');
        }
    }
}
