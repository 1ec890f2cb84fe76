package dev.leakguard.operator;

import dev.leakguard.act.EventRecorder;
import dev.leakguard.act.LedgerStore;
import dev.leakguard.act.PolicyScore;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.LeakPolicyStatus;
import dev.leakguard.decide.EventReason;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.kube.Pods;
import dev.leakguard.kube.Refs;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.trend.Verdict;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Turns (policy, the pods it selects) into scrape targets and writes the policy's status. It does no
 * scraping and no detection itself: the {@link ScrapeScheduler} owns the loops, and a verdict change
 * there comes back here through the {@link StatusPacer}'s event source so that status follows
 * within one reconcile. Every pod change also goes, as it arrives, to a {@link PodEventSource.Listener}
 * (OOM kills, pods gone), not through reconciles.
 */
public final class LeakPolicyReconciler implements Reconciler<LeakPolicy> {
    private final PolicyResolver resolver;
    private final ScrapeAccessReader accessReader;
    private final ScrapeScheduler scheduler;
    private final StatusBuilder statusBuilder;
    private final StatusPacer pacer;
    private final PolicyCache policies;
    private final PodEventSource.Listener podChanges;
    private final EventRecorder events;
    private final LedgerStore ledgers;
    private final OperatorMetrics metrics;
    private final Shards shards;
    private final TargetResolver.Memo targets = new TargetResolver.Memo();
    private final Map<PolicyKey, AtomicLong> podChangeCounts = new ConcurrentHashMap<>();
    private final Map<PolicyKey, Selection> selections = new ConcurrentHashMap<>();
    private volatile PodEventSource podSource;
    /** Keeps whole only the pods a policy selects: the informer sees every pod of the cluster. */
    private final SlimPodStore podStore;
    static final String INSECURE_SKIP_VERIFY = "spec.metrics.tlsConfig.insecureSkipVerify is true: the pods' certificates are not verified, "
            + "so anyone on the network path can read the scrapes and any bearer token sent with them";

    LeakPolicyReconciler(PolicyResolver resolver, ScrapeAccessReader accessReader, ScrapeScheduler scheduler, StatusBuilder statusBuilder, StatusPacer pacer,
                         PolicyCache policies, PodEventSource.Listener podChanges, EventRecorder events, LedgerStore ledgers,
                         OperatorMetrics metrics, Shards shards) {
        this.resolver = resolver;
        this.accessReader = accessReader;
        this.scheduler = scheduler;
        this.statusBuilder = statusBuilder;
        this.pacer = pacer;
        this.policies = policies;
        this.podStore = new SlimPodStore(pod -> policies.selecting(pod).findAny().isPresent());
        this.podChanges = podChanges;
        this.events = events;
        this.ledgers = ledgers;
        this.metrics = metrics;
        this.shards = shards;
    }

    @Override
    public List<EventSource<?, LeakPolicy>> prepareEventSources(EventSourceContext<LeakPolicy> context) {
        policies.use(context.getPrimaryCache());
        InformerEventSourceConfiguration<Pod> pods = InformerEventSourceConfiguration.from(Pod.class, LeakPolicy.class)
                .withName("pods")
                .withItemStore(podStore)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(pod -> policiesConcerned(pod).stream()
                        .map(key -> new ResourceID(key.name(), key.namespace())).collect(Collectors.toSet()))
                // Counted in the filters, which decide what starts a reconcile: JOSDK also runs the mapper on every change, to index.
                .withOnAddFilter(this::counted)
                .withOnUpdateFilter((oldPod, newPod) -> changesWhatReconcilesRead(oldPod, newPod) && counted(newPod))
                .withOnDeleteFilter((pod, finalStateUnknown) -> counted(pod))
                .build();
        podSource = new PodEventSource(pods, context, podChanges);
        return List.of(podSource, pacer.verdictEvents());
    }

    /**
     * The policies a pod change concerns: those selecting the pod now, and those that resolved it last time —
     * JOSDK maps only the new version of a pod, and a pod whose label was removed is selected by none.
     */
    private Set<PolicyKey> policiesConcerned(Pod pod) {
        Set<PolicyKey> concerned = policies.selecting(pod).map(Refs::policyKey).collect(Collectors.toCollection(HashSet::new));
        concerned.addAll(targets.resolvedFor(pod.getMetadata().getUid()));
        return concerned;
    }

    /**
     * Only a change a reconcile reads starts one: leakguard's own annotation patches come back as updates, and the
     * kubelet rewrites status on every readiness flip. The listener and the informer's cache still see every change.
     */
    private boolean changesWhatReconcilesRead(Pod oldPod, Pod newPod) {
        return !Objects.equals(oldPod.getMetadata().getLabels(), newPod.getMetadata().getLabels())
                || !TargetResolver.resolvesAlike(oldPod, newPod)
                // With shards, the status writer learns other shards' verdicts from the annotations their holders write.
                || shards.count() > 1 && !Objects.equals(Pods.annotation(oldPod, PodAnnotations.VERDICT), Pods.annotation(newPod, PodAnnotations.VERDICT));
    }

    /** Tells the policies the pod concerns that their pods changed (their next reconcile lists them again); always true. */
    private boolean counted(Pod pod) {
        policiesConcerned(pod).forEach(key -> podChangesOf(key).incrementAndGet());
        return true;
    }

    @Override
    public UpdateControl<LeakPolicy> reconcile(LeakPolicy policy, Context<LeakPolicy> context) {
        long startNanos = System.nanoTime();
        PolicyKey key = Refs.policyKey(policy);
        // JOSDK never runs two reconciles of one policy at once: a new selection is this reconcile's.
        Selection before = selections.get(key);
        try {
            return reconcileTimed(policy, context);
        } finally {
            Selection after = selections.get(key);
            metrics.reconcile(key.namespace(), key.name(), after != null && after != before, System.nanoTime() - startNanos);
        }
    }

    private UpdateControl<LeakPolicy> reconcileTimed(LeakPolicy policy, Context<LeakPolicy> context) {
        PolicyKey key = Refs.policyKey(policy);
        scheduler.known(key);
        LeakPolicyStatus status;
        PolicyResolver.Result result = resolver.resolve(policy);
        if (result instanceof PolicyResolver.Invalid invalid) {
            selections.remove(key);
            status = invalid(policy, key, invalid.message());
        } else {
            ResolvedPolicy resolved = ((PolicyResolver.Valid) result).policy();
            ScrapeAccess access = accessReader.read(key.namespace(), resolved.auth());
            Selection selection = select(policy, key, resolved, access, context);
            if (selection.portMissing() > 0 && selection.portMissing() == selection.selected()) {
                status = invalid(policy, key, selection.missingPort() + ", and so in none of the " + selection.selected() + " selected pods");
            } else {
                PolicyScore score = ledgers.score(policy);
                List<PodView> here = scheduler.views(key);
                List<PodView> all = new ArrayList<>(here);
                all.addAll(selection.elsewhere());
                status = statusBuilder.watching(policy, all, selection.unresolved(), score.restarts(), score.oomKillsMissed());
                if (resolved.auth().insecureSkipVerify()) {
                    status.setWarnings(List.of(INSECURE_SKIP_VERIFY));
                }
                // This replica's pods only: summed over the replicas, the series count each pod once.
                metrics.policy(key.namespace(), key.name(), here.size(),
                        (int) here.stream().filter(v -> v.verdict() == Verdict.LEAKING).count(), true);
            }
        }
        if (!shards.writesStatusOf(policy.getMetadata().getUid())) {
            // Another replica writes this policy's status, so that two never overwrite each other's counts.
            return UpdateControl.<LeakPolicy>noUpdate().rescheduleAfter(pacer.refresh());
        }
        if (status.equals(policy.getStatus())) {
            return UpdateControl.<LeakPolicy>noUpdate().rescheduleAfter(pacer.refresh());
        }
        long waitMillis = pacer.untilGapEnds(key);
        if (waitMillis > 0 && sameGenerationAndReadiness(policy.getStatus(), status)) {
            return UpdateControl.<LeakPolicy>noUpdate().rescheduleAfter(pacer.realDelay(Duration.ofMillis(waitMillis)));
        }
        pacer.written(key);
        policy.setStatus(status);
        return UpdateControl.patchStatus(policy).rescheduleAfter(pacer.refresh());
    }

    /**
     * What a policy's pods are: reused from the last reconcile while none of them changed since (most
     * reconciles come from verdict changes, for status), else listed, resolved and handed to the scrape loops.
     */
    private Selection select(LeakPolicy policy, PolicyKey key, ResolvedPolicy resolved, ScrapeAccess access, Context<LeakPolicy> context) {
        // Read before the pods are listed: a change arriving meanwhile makes the next reconcile list them again.
        long podChangesSeen = podChangesOf(key).get();
        List<Boolean> held = heldShards();
        Selection last = selections.get(key);
        if (last != null && last.reusableFor(policy, access, held, podChangesSeen)) {
            return last;
        }
        List<Pod> selected = podSource.list(key.namespace(), pod -> resolved.selector().selectsPolicyPods(pod.getMetadata().getLabels()))
                .map(pod -> podStore.complete(pod, context.getClient())).filter(Objects::nonNull).toList();
        List<ScrapeScheduler.Watched> watched = new ArrayList<>();
        List<PodView> elsewhere = new ArrayList<>();
        Map<PodKey, String> unresolved = new LinkedHashMap<>();
        int portMissing = 0;
        String missingPort = null;
        targets.retainOnly(policies::exists);
        selections.keySet().removeIf(k -> !policies.exists(k));
        podChangeCounts.keySet().removeIf(k -> !policies.exists(k) && !k.equals(key));
        List<TargetResolver.Resolution> resolutions = targets.resolveAll(key, resolved, selected, access);
        for (int i = 0; i < selected.size(); i++) {
            Pod pod = selected.get(i);
            TargetResolver.Resolution resolution = resolutions.get(i);
            if (resolution instanceof TargetResolver.Resolved ok) {
                int shard = shards.shardOf(ok.target().podUid());
                if (shards.holds(shard)) {
                    watched.add(new ScrapeScheduler.Watched(ok.target(), pod.getMetadata().getAnnotations()));
                } else {
                    elsewhere.add(StatusBuilder.judgedElsewhere(ok.target(), pod.getMetadata().getAnnotations(), shard));
                }
            } else {
                TargetResolver.Unresolved problem = (TargetResolver.Unresolved) resolution;
                unresolved.put(Refs.podKey(pod), problem.reason());
                if (problem.portMissing()) {
                    portMissing++;
                    missingPort = problem.reason();
                }
            }
        }
        Selection selection = new Selection(policy.getMetadata().getUid(), policy.getMetadata().getGeneration(), access, held, podChangesSeen,
                selected.size(), List.copyOf(elsewhere), unresolved, portMissing, missingPort);
        if (portMissing == 0 || portMissing < selected.size()) {
            scheduler.sync(resolved, watched);
        }
        selections.put(key, selection);
        return selection;
    }

    /** Counted for a policy whenever a pod change that passed the update filter concerns it. */
    private AtomicLong podChangesOf(PolicyKey key) {
        return podChangeCounts.computeIfAbsent(key, k -> new AtomicLong());
    }

    private List<Boolean> heldShards() {
        List<Boolean> held = new ArrayList<>(shards.count());
        for (int shard = 0; shard < shards.count(); shard++) {
            held.add(shards.holds(shard));
        }
        return held;
    }

    /**
     * A policy's pods as its last full reconcile found them. Reusable while the policy's spec, its scrape access,
     * the shards this replica holds and the pods (no change passed the update filter since) are what they were.
     */
    private record Selection(String policyUid, Long generation, ScrapeAccess access, List<Boolean> heldShards, long podChangesSeen,
                             int selected, List<PodView> elsewhere, Map<PodKey, String> unresolved, int portMissing, String missingPort) {
        boolean reusableFor(LeakPolicy policy, ScrapeAccess accessNow, List<Boolean> heldNow, long podChangesNow) {
            return policyUid.equals(policy.getMetadata().getUid()) && Objects.equals(generation, policy.getMetadata().getGeneration())
                    && access.equals(accessNow) && heldShards.equals(heldNow) && podChangesSeen == podChangesNow;
        }
    }

    /** An invalid policy watches nothing, says why in its status and in a Warning Event. */
    private LeakPolicyStatus invalid(LeakPolicy policy, PolicyKey key, String message) {
        scheduler.remove(key);
        targets.forget(key);
        if (shards.writesStatusOf(policy.getMetadata().getUid())) {
            events.record(policy, EventReason.InvalidSpec, "LeakPolicy is invalid and watches nothing: " + message);
        }
        metrics.policy(key.namespace(), key.name(), 0, 0, false);
        return statusBuilder.invalid(policy, message);
    }

    /** Only numbers and pod lists differ: such a change can wait for the status gap. */
    private static boolean sameGenerationAndReadiness(LeakPolicyStatus before, LeakPolicyStatus after) {
        if (before == null || !Objects.equals(before.getObservedGeneration(), after.getObservedGeneration())) {
            return false;
        }
        return Objects.equals(readiness(before), readiness(after));
    }

    private static String readiness(LeakPolicyStatus status) {
        return status.getConditions() == null ? null : status.getConditions().stream()
                .filter(c -> StatusBuilder.READY.equals(c.getType())).map(c -> c.getStatus() + "/" + c.getReason()).findFirst().orElse(null);
    }
}
