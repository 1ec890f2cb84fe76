package dev.leakguard.operator;

import dev.leakguard.act.EventReason;
import dev.leakguard.act.EventRecorder;
import dev.leakguard.act.PodAnnotator;
import dev.leakguard.decide.Format;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.decide.Reactions;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to every reading: detector update, metrics, then the pure plan of
 * {@link Reactions} carried out at the edges (annotations, Events, profiles, restarts). Cluster writes
 * run on the action executor so that a slow API server never delays a scrape.
 */
final class PodPipeline {
    private static final Logger log = LoggerFactory.getLogger(PodPipeline.class);

    private final PodAnnotator annotator;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Executor actions;
    private final Consumer<PolicyKey> verdictChanged;

    PodPipeline(PodAnnotator annotator, EventRecorder events, OperatorMetrics metrics, Executor actions,
                Consumer<PolicyKey> verdictChanged) {
        this.annotator = annotator;
        this.events = events;
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
            carryOut(policy, state, assessment, plan);
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

    private void carryOut(ResolvedPolicy policy, PodState state, Assessment assessment, Reactions.Plan plan) {
        Pod pod = state.pod();
        if (plan.announceSuspicion()) {
            events.record(pod, EventReason.LeakSuspected, suspicionMessage(policy, assessment));
        }
        if (plan.announceOom()) {
            events.record(pod, EventReason.OOMPredicted, oomMessage(policy, assessment, state));
        }
    }

    private void updateAnnotations(PodState state, Verdict verdict) {
        Map<String, String> wanted = PodAnnotations.describe(verdict, state.assessment());
        Map<String, String> written = state.annotationsWritten();
        boolean changed = wanted.entrySet().stream().anyMatch(e -> !e.getValue().equals(written.get(e.getKey())));
        if (!changed) {
            return;
        }
        PodKey pod = state.target().pod();
        actions.execute(() -> {
            try {
                state.annotationsWritten(annotator.annotate(pod.namespace(), pod.name(), state.annotationsWritten(), wanted));
            } catch (RuntimeException e) {
                log.warn("could not annotate {}: {}", pod, e.getMessage());
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

    static String oomMessage(ResolvedPolicy policy, Assessment a, PodState state) {
        StringBuilder text = new StringBuilder()
                .append("Memory limit ").append(Format.bytes(a.memoryLimitBytes())).append(" predicted in ")
                .append(Format.duration(a.secondsToLimit()));
        if (a.secondsToLimitLower() < a.secondsToLimit()) {
            text.append(" (as soon as ").append(Format.duration(a.secondsToLimitLower())).append(")");
        }
        text.append(": ").append(Format.bytes(a.memoryBytes())).append(" now, ").append(Format.growth(a.memoryGrowthBytesPerSecond()));
        appendThreads(text, policy, a);
        text.append(". Action: ").append(policy.actionType()).append(policy.dryRun() ? " (dry run)" : "").append('.');
        if (!state.topGroups().isEmpty()) {
            text.append(" Top growing: ").append(String.join("; ", state.topGroups()));
        }
        return text.toString();
    }

    private static void appendThreads(StringBuilder text, ResolvedPolicy policy, Assessment a) {
        if (policy.hasThreads() && !Double.isNaN(a.threads())) {
            text.append("; ").append(policy.threads()).append(' ').append(Math.round(a.threads()))
                    .append(" (").append(Format.countGrowth(a.threadGrowthPerSecond())).append(')');
        }
    }
}
