package dev.leakguard.operator;

import dev.leakguard.act.EventReason;
import dev.leakguard.act.EventRecorder;
import dev.leakguard.act.PodRestarter;
import dev.leakguard.act.PolicyScore;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.LeakPolicyStatus;
import dev.leakguard.decide.LabelSelectors;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Turns (policy, the pods it selects) into scrape targets and writes the policy's status. It does no
 * scraping and no detection itself: the {@link ScrapeScheduler} owns the loops, and a verdict change
 * there comes back here as an event so that status follows within one reconcile.
 */
public final class LeakPolicyReconciler implements Reconciler<LeakPolicy> {
    private final PolicyResolver resolver;
    private final ScrapeScheduler scheduler;
    private final StatusBuilder statusBuilder;
    private final EventRecorder events;
    private final PodRestarter restarter;
    private final OperatorMetrics metrics;
    /** The pods each policy selected at its last reconcile, to tell the restart door what changed. */
    private final Map<PolicyKey, Map<PodKey, Pod>> lastSeen = new ConcurrentHashMap<>();
    private final ScaledClock clock;
    private final Duration statusRefresh;
    private final Map<PolicyKey, Long> lastStatusWriteMillis = new ConcurrentHashMap<>();
    private final Set<PolicyKey> reconcilePending = ConcurrentHashMap.newKeySet();
    private final SimpleInboundEventSource<LeakPolicy> verdictEvents = new SimpleInboundEventSource<>("verdicts");
    private volatile InformerEventSource<Pod, LeakPolicy> podSource;

    LeakPolicyReconciler(PolicyResolver resolver, ScrapeScheduler scheduler, StatusBuilder statusBuilder, EventRecorder events,
                         PodRestarter restarter, OperatorMetrics metrics, ScaledClock clock, Duration statusRefresh) {
        this.resolver = resolver;
        this.scheduler = scheduler;
        this.statusBuilder = statusBuilder;
        this.events = events;
        this.restarter = restarter;
        this.metrics = metrics;
        this.clock = clock;
        this.statusRefresh = statusRefresh;
    }

    /**
     * Called by the scrape loops when a pod's verdict changes. The status catches up in one
     * reconcile, but at most once per status gap ({@link #untilStatusGapEnds}) per policy: in a large fleet verdicts
     * change every few seconds, and each reconcile lists every selected pod and may write status.
     */
    void verdictChanged(PolicyKey key) {
        if (!verdictEvents.isRunning() || !reconcilePending.add(key)) {
            return;
        }
        long waitMillis = untilStatusGapEnds(key);
        long realWaitMillis = waitMillis > 0 ? clock.realDelayMillis(waitMillis) : 0;
        CompletableFuture.delayedExecutor(realWaitMillis, TimeUnit.MILLISECONDS).execute(() -> {
            reconcilePending.remove(key);
            verdictEvents.propagateEvent(new ResourceID(key.name(), key.namespace()));
        });
    }

    /**
     * Clock milliseconds until the policy's status may be written again: the least time between two
     * status writes of one policy is a quarter of the refresh, unless its spec or readiness changed.
     */
    private long untilStatusGapEnds(PolicyKey key) {
        return lastStatusWriteMillis.getOrDefault(key, Long.MIN_VALUE / 2) + statusRefresh.dividedBy(4).toMillis() - clock.millis();
    }

    /** JOSDK waits in real time; the refresh is a span of the operator's clock. */
    private Duration realDelay(Duration onTheClock) {
        return Duration.ofMillis(clock.realDelayMillis(onTheClock));
    }

    @Override
    public List<EventSource<?, LeakPolicy>> prepareEventSources(EventSourceContext<LeakPolicy> context) {
        InformerEventSourceConfiguration<Pod> pods = InformerEventSourceConfiguration.from(Pod.class, LeakPolicy.class)
                .withName("pods")
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(pod -> context.getPrimaryCache()
                        .list(pod.getMetadata().getNamespace(),
                                policy -> LabelSelectors.selectsPolicyPods(policy.getSpec() == null ? null : policy.getSpec().getSelector(),
                                        pod.getMetadata().getLabels()))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                // leakguard's own annotation patches come back as updates; only changes that can move a target matter.
                .withOnUpdateFilter((oldPod, newPod) -> !Objects.equals(oldPod.getMetadata().getLabels(), newPod.getMetadata().getLabels())
                        || !Objects.equals(oldPod.getStatus(), newPod.getStatus())
                        || !Objects.equals(oldPod.getMetadata().getDeletionTimestamp(), newPod.getMetadata().getDeletionTimestamp()))
                .build();
        podSource = new InformerEventSource<>(pods, context);
        scheduler.policyExistence(key -> context.getPrimaryCache().get(new ResourceID(key.name(), key.namespace())).isPresent(),
                lastSeen::remove);
        return List.of(podSource, verdictEvents);
    }

    @Override
    public UpdateControl<LeakPolicy> reconcile(LeakPolicy policy, Context<LeakPolicy> context) {
        PolicyKey key = PolicyKey.of(policy);
        scheduler.known(key);
        LeakPolicyStatus status;
        PolicyResolver.Result result = resolver.resolve(policy);
        if (result instanceof PolicyResolver.Invalid invalid) {
            scheduler.remove(key);
            lastSeen.remove(key);
            events.record(policy, EventReason.InvalidSpec, "LeakPolicy is invalid and watches nothing: " + invalid.message());
            metrics.policy(key.namespace(), key.name(), 0, 0, false);
            status = statusBuilder.invalid(policy, invalid.message());
        } else {
            ResolvedPolicy resolved = ((PolicyResolver.Valid) result).policy();
            List<Pod> selected = podSource.list(key.namespace(),
                    pod -> LabelSelectors.selectsPolicyPods(resolved.selector(), pod.getMetadata().getLabels())).toList();
            tellRestarter(policy, key, selected);
            List<ScrapeScheduler.Watched> watched = new ArrayList<>();
            Map<PodKey, String> unresolved = new LinkedHashMap<>();
            int portMissing = 0;
            for (Pod pod : selected) {
                TargetResolver.Resolution resolution = TargetResolver.resolve(resolved, pod);
                if (resolution instanceof TargetResolver.Resolved ok) {
                    watched.add(new ScrapeScheduler.Watched(ok.target(), pod));
                } else {
                    TargetResolver.Unresolved problem = (TargetResolver.Unresolved) resolution;
                    unresolved.put(PodKey.of(pod), problem.reason());
                    portMissing += problem.portMissing() ? 1 : 0;
                }
            }
            if (portMissing > 0 && portMissing == selected.size()) {
                String message = "port " + describePort(resolved) + " is not a container port of any of the " + selected.size()
                        + " selected pods";
                scheduler.remove(key);
                events.record(policy, EventReason.InvalidSpec, "LeakPolicy is invalid and watches nothing: " + message);
                metrics.policy(key.namespace(), key.name(), 0, 0, false);
                status = statusBuilder.invalid(policy, message);
            } else {
                scheduler.sync(policy, resolved, watched);
                PolicyScore score = restarter.score(policy);
                status = statusBuilder.watching(policy, scheduler.views(key), unresolved, score.restarts(), score.oomKillsMissed());
                metrics.policy(key.namespace(), key.name(), status.getWatched(), status.getLeaking(), true);
            }
        }
        if (status.equals(policy.getStatus())) {
            return UpdateControl.<LeakPolicy>noUpdate().rescheduleAfter(realDelay(statusRefresh));
        }
        long waitMillis = untilStatusGapEnds(key);
        if (waitMillis > 0 && sameGenerationAndReadiness(policy.getStatus(), status)) {
            return UpdateControl.<LeakPolicy>noUpdate().rescheduleAfter(realDelay(Duration.ofMillis(waitMillis)));
        }
        lastStatusWriteMillis.put(key, clock.millis());
        policy.setStatus(status);
        return UpdateControl.patchStatus(policy).rescheduleAfter(realDelay(statusRefresh));
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

    /** Feeds pod changes to the restart door: it tracks replacements, OOM kills and restart loops from them. */
    private void tellRestarter(LeakPolicy policy, PolicyKey key, List<Pod> selected) {
        Map<PodKey, Pod> previous = lastSeen.getOrDefault(key, Map.of());
        Map<PodKey, Pod> current = new HashMap<>();
        for (Pod pod : selected) {
            PodKey podKey = PodKey.of(pod);
            current.put(podKey, pod);
            Pod before = previous.get(podKey);
            if (before == null || !Objects.equals(before.getMetadata().getResourceVersion(), pod.getMetadata().getResourceVersion())) {
                restarter.onPodChanged(policy, before, pod);
            }
        }
        previous.forEach((podKey, pod) -> {
            if (!current.containsKey(podKey)) {
                restarter.onPodChanged(policy, pod, null);
            }
        });
        lastSeen.put(key, current);
    }

    private static String describePort(ResolvedPolicy policy) {
        return policy.port().getIntVal() != null ? String.valueOf(policy.port().getIntVal()) : "'" + policy.port().getStrVal() + "'";
    }
}
