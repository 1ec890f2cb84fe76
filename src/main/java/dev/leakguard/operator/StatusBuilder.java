package dev.leakguard.operator;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.LeakPolicyStatus;
import dev.leakguard.api.PodRisk;
import dev.leakguard.api.WorkloadRisk;
import dev.leakguard.text.Format;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a policy's status from what the scrape loops know. Numbers are rounded (see {@link Format})
 * so that an unchanged situation yields an equal status and no write; the Ready condition keeps its
 * lastTransitionTime unless its status really changes.
 */
final class StatusBuilder {
    static final int MAX_RISKIEST = 10;
    static final String READY = "Ready";

    private final Clock clock;

    StatusBuilder(Clock clock) {
        this.clock = clock;
    }

    LeakPolicyStatus invalid(LeakPolicy policy, String message) {
        LeakPolicyStatus status = carriedOver(policy);
        status.setConditions(List.of(ready(policy, "False", "InvalidSpec", message)));
        status.setWatched(0);
        status.setLeaking(0);
        status.setSuspect(0);
        status.setUnknown(0);
        status.setRiskiestPods(List.of());
        status.setLeakingWorkloads(List.of());
        return status;
    }

    LeakPolicyStatus watching(LeakPolicy policy, Collection<PodView> views, Map<PodKey, String> unresolved,
                              int restarts, int oomKillsMissed) {
        LeakPolicyStatus status = carriedOver(policy);
        int leaking = 0;
        int suspect = 0;
        int unknown = 0;
        List<Ranked> risks = new ArrayList<>();
        for (PodView view : views) {
            switch (view.verdict()) {
                case LEAKING -> leaking++;
                case SUSPECT -> suspect++;
                case UNKNOWN -> unknown++;
                default -> { }
            }
            switch (view.verdict()) {
                case LEAKING -> risks.add(new Ranked(risk(view), 0, view.assessment().secondsToLimit()));
                case SUSPECT -> risks.add(new Ranked(risk(view), 1, view.assessment().secondsToLimit()));
                case UNKNOWN -> risks.add(new Ranked(risk(view), 2, Double.POSITIVE_INFINITY));
                default -> { }
            }
        }
        unresolved.forEach((pod, reason) -> {
            PodRisk risk = new PodRisk();
            risk.setPod(pod.name());
            risk.setVerdict(PodAnnotations.verdictLabel(Verdict.UNKNOWN));
            risk.setMessage(reason);
            risks.add(new Ranked(risk, 2, Double.POSITIVE_INFINITY));
        });
        risks.sort(Ranked.ORDER);
        status.setWatched(views.size());
        status.setLeaking(leaking);
        status.setSuspect(suspect);
        status.setUnknown(unknown + unresolved.size());
        status.setRestarts(restarts);
        status.setOomKillsMissed(oomKillsMissed);
        status.setRiskiestPods(risks.stream().limit(MAX_RISKIEST).map(Ranked::risk).toList());
        status.setLeakingWorkloads(leakingWorkloads(views));
        String message = views.isEmpty() && unresolved.isEmpty() ? "no pods match the selector"
                : "watching " + views.size() + " pods: " + leaking + " leaking, " + suspect + " suspect, "
                + (unknown + unresolved.size()) + " unknown";
        status.setConditions(List.of(ready(policy, "True", views.isEmpty() && unresolved.isEmpty() ? "NoPodsSelected" : "Watching", message)));
        return status;
    }

    /** Workloads with at least one leaking replica, soonest (pessimistic) limit first; bare pods have no workload. */
    private static List<WorkloadRisk> leakingWorkloads(Collection<PodView> views) {
        Map<String, List<PodView>> byWorkload = new TreeMap<>();
        for (PodView view : views) {
            if (view.workload() != null) {
                byWorkload.computeIfAbsent(view.workload(), w -> new ArrayList<>()).add(view);
            }
        }
        record Soonest(WorkloadRisk risk, double secondsToLimitLower) { }
        List<Soonest> out = new ArrayList<>();
        byWorkload.forEach((workload, replicas) -> {
            List<Assessment> leaking = replicas.stream().filter(v -> v.verdict() == Verdict.LEAKING).map(PodView::assessment).toList();
            if (leaking.isEmpty()) {
                return;
            }
            double soonest = leaking.stream().mapToDouble(Assessment::secondsToLimit).min().orElseThrow();
            double soonestLower = leaking.stream().mapToDouble(Assessment::secondsToLimitLower).min().orElseThrow();
            WorkloadRisk risk = new WorkloadRisk();
            risk.setWorkload(workload);
            risk.setWatched(replicas.size());
            risk.setLeaking(leaking.size());
            risk.setSuspect((int) replicas.stream().filter(v -> v.verdict() == Verdict.SUSPECT).count());
            risk.setTimeToLimit(timeLeft(soonest));
            risk.setTimeToLimitLower(timeLeft(soonestLower));
            out.add(new Soonest(risk, soonestLower));
        });
        // Stable after the TreeMap's name order, so equal times keep a fixed order and the status is not rewritten.
        out.sort(Comparator.comparingDouble(Soonest::secondsToLimitLower));
        return out.stream().limit(MAX_RISKIEST).map(Soonest::risk).toList();
    }

    /**
     * A pod of a shard another replica holds, as its holder annotated it ({@link PodAnnotations}): the verdict and
     * the seconds to the limit, so that the replica writing the policy's status counts it and ranks it. A pod
     * its holder has not annotated has nothing to report: it counts as watched and healthy.
     */
    static PodView judgedElsewhere(ScrapeTarget target, Map<String, String> podAnnotations, int shard) {
        Map<String, String> annotations = podAnnotations == null ? Map.of() : podAnnotations;
        Verdict annotated = PodAnnotations.verdictOf(annotations.get(PodAnnotations.VERDICT));
        Verdict verdict = annotated == null ? Verdict.HEALTHY : annotated;
        double seconds = PodAnnotations.secondsToLimitOf(annotations.get(PodAnnotations.SECONDS_TO_LIMIT));
        String growth = annotations.get(PodAnnotations.MEMORY_GROWTH);
        String reason = "judged by the replica holding shard " + shard + (growth == null ? "" : "; memory growth " + growth);
        Assessment assessment = new Assessment(verdict, Double.NaN, target.memoryLimitBytes(), Double.NaN, Double.NaN, Double.NaN,
                seconds, seconds, Double.NaN, Double.NaN, 0, reason);
        return new PodView(target.pod(), verdict, assessment, verdict == Verdict.UNKNOWN ? reason : null, List.of(), null,
                annotations.get(PodAnnotations.EVIDENCE), target.limitSource(), target.workload());
    }

    private static PodRisk risk(PodView view) {
        Assessment a = view.assessment();
        PodRisk risk = new PodRisk();
        risk.setPod(view.pod().name());
        risk.setVerdict(PodAnnotations.verdictLabel(view.verdict()));
        if (view.verdict() == Verdict.UNKNOWN) {
            risk.setMessage(view.scrapeError());
        } else {
            risk.setMemory(Double.isNaN(a.memoryBytes()) ? null : Format.bytes(a.memoryBytes()));
            risk.setLimit(Double.isNaN(a.memoryLimitBytes()) ? null : Format.bytes(a.memoryLimitBytes()));
            risk.setLimitSource(Double.isNaN(a.memoryLimitBytes()) || view.limitSource() == null ? null : view.limitSource().label());
            risk.setGrowth(Double.isNaN(a.memoryGrowthBytesPerSecond()) ? null : Format.growth(a.memoryGrowthBytesPerSecond()));
            risk.setTimeToLimit(timeLeft(a.secondsToLimit()));
            risk.setTimeToLimitLower(timeLeft(a.secondsToLimitLower()));
            risk.setMessage(a.reason());
        }
        risk.setTopGroups(view.topGroups());
        risk.setProfileSkipped(view.profileSkipped());
        risk.setEvidence(view.evidence());
        return risk;
    }

    /** e.g. {@code 14m}; null (absent from status) when the limit is not being approached. */
    private static String timeLeft(double seconds) {
        return Double.isFinite(seconds) ? Format.duration(seconds) : null;
    }

    /** Leaking first (soonest limit first), then suspect, then unknown. */
    private record Ranked(PodRisk risk, int severity, double secondsToLimit) {
        static final Comparator<Ranked> ORDER = Comparator.comparingInt(Ranked::severity)
                .thenComparingDouble(Ranked::secondsToLimit).thenComparing(r -> r.risk().getPod());
    }

    private static LeakPolicyStatus carriedOver(LeakPolicy policy) {
        LeakPolicyStatus status = new LeakPolicyStatus();
        LeakPolicyStatus previous = policy.getStatus();
        if (previous != null) {
            status.setRestarts(previous.getRestarts());
            status.setOomKillsMissed(previous.getOomKillsMissed());
        }
        status.setObservedGeneration(policy.getMetadata().getGeneration());
        return status;
    }

    private Condition ready(LeakPolicy policy, String value, String reason, String message) {
        Condition previous = policy.getStatus() == null || policy.getStatus().getConditions() == null ? null
                : policy.getStatus().getConditions().stream().filter(c -> READY.equals(c.getType())).findFirst().orElse(null);
        String since = previous != null && value.equals(previous.getStatus()) && previous.getLastTransitionTime() != null
                ? previous.getLastTransitionTime()
                : DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(clock.millis() / 1000));
        return new ConditionBuilder()
                .withType(READY)
                .withStatus(value)
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(policy.getMetadata().getGeneration())
                .withLastTransitionTime(since)
                .build();
    }
}
