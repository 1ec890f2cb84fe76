package dev.leakguard.act;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.BlockRule;
import dev.leakguard.decide.InFlightRules;
import dev.leakguard.decide.IntOrPercent;
import dev.leakguard.decide.LabelSelectors;
import dev.leakguard.decide.LedgerEntry;
import dev.leakguard.decide.OomKills.Termination;
import dev.leakguard.decide.OomKills;
import dev.leakguard.decide.RestartDecision;
import dev.leakguard.decide.RestartFacts;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.decide.RestartRules;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.decide.RestartStrategy;
import dev.leakguard.decide.RetryBackoff;
import dev.leakguard.decide.WorkloadKind;
import dev.leakguard.decide.WorkloadShape;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.policy.ActionType;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one door for every disruption leakguard causes (like descheduler's PodEvictor). It re-reads
 * the pod and the cluster, asks {@link RestartRules}, and only then acts: it records the restart in
 * the policy's ledger annotation, marks the pod, and evicts it (policy/v1, so PodDisruptionBudgets
 * and the grace period apply) or rolls out a restart of its workload. Dry run records and tells, and
 * changes nothing else.
 *
 * <p><b>Idempotent across operator restarts and leader changes.</b> Nothing that keeps the cluster
 * safe lives only in memory: the ledger ({@value #LEDGER_ANNOTATION} on the LeakPolicy, written
 * with optimistic locking before the eviction request is sent) holds the recent restarts, and a
 * restart counts as in flight until the cluster shows its replacement Ready ({@link InFlightRules}).
 * A new leader therefore sees the same in-flight restarts, cooldowns and hourly counts. Only the
 * PDB backoff and the de-duplication of RestartBlocked Events are kept in memory: losing them costs
 * one extra eviction attempt or one extra Event, never an extra disruption.
 *
 * <p>The operator-wide hourly cap counts the ledgers of every policy this instance has read, through
 * {@link #requestRestart} or {@link #score}. Calls are serialised: one decision at a time.
 */
public final class PodRestarter {
    private static final Logger log = LoggerFactory.getLogger(PodRestarter.class);

    public static final String EXCLUDE_ANNOTATION = "leakguard.dev/exclude";
    /** On a pod whose restart leakguard requested: RFC 3339 time on the operator's clock. */
    public static final String RESTART_REQUESTED_AT = "leakguard.dev/restart-requested-at";
    /** On a pod a dry run would have restarted; separate from the real marker so it never looks in flight. */
    public static final String WOULD_RESTART_AT = "leakguard.dev/would-restart-at";
    public static final String LEDGER_ANNOTATION = "leakguard.dev/restart-ledger";
    /** The pod-template annotation {@code kubectl rollout restart} writes. */
    public static final String ROLLOUT_RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

    private static final Duration REFUSAL_BACKOFF = Duration.ofSeconds(30);
    private static final Duration REFUSAL_BACKOFF_MAX = Duration.ofMinutes(10);
    private static final int LEDGER_WRITE_ATTEMPTS = 3;
    private static final int REMEMBERED_PODS = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final int operatorMaxRestartsPerHour;

    /** Guards the in-memory maps below; never held during I/O. */
    private final Object memory = new Object();
    private final RetryBackoff refusals = new RetryBackoff(REFUSAL_BACKOFF, REFUSAL_BACKOFF_MAX);
    private final Map<String, String> lastReportedBlock = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_PODS;
        }
    };
    private final Map<String, RestartLedger> knownLedgers = new HashMap<>();

    public PodRestarter(KubernetesClient client, EventRecorder events, OperatorMetrics metrics, Clock clock,
                        int operatorMaxRestartsPerHour) {
        if (operatorMaxRestartsPerHour < 0) {
            throw new IllegalArgumentException("the operator-wide restart cap must be >= 0");
        }
        this.client = client;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.operatorMaxRestartsPerHour = operatorMaxRestartsPerHour;
    }

    /**
     * Restarts a leaking pod if the rules of the door allow it. Blocking I/O; {@code why} (the leak
     * in numbers and its top groups) goes into the Event.
     */
    public synchronized RestartOutcome requestRestart(LeakPolicy policy, RestartSettings settings, Pod pod, String why) {
        if (settings.type() == ActionType.Annotate) {
            throw new IllegalArgumentException("requestRestart is for Evict and RolloutRestart policies");
        }
        Call call = new Call(policy.getMetadata().getName(), pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                pod.getMetadata().getUid(), settings, why, clock.millis());
        String intended = settings.type() == ActionType.Evict ? RestartStrategy.Evict.metricType()
                : RestartStrategy.RolloutRestart.metricType();

        OptionalLong backingOff;
        synchronized (memory) {
            backingOff = refusals.waitingUntil(call.podUid, call.now);
        }
        if (backingOff.isPresent()) {
            return blocked(call, intended, null, BlockRule.DISRUPTION_BUDGET,
                    "eviction refused by a PodDisruptionBudget; next try at " + Instant.ofEpochMilli(backingOff.getAsLong()));
        }
        try {
            Pod fresh = client.pods().inNamespace(call.namespace).withName(call.podName).get();
            if (fresh == null || !call.podUid.equals(fresh.getMetadata().getUid())) {
                settled(call.podUid);
                return blocked(call, intended, null, BlockRule.POD_GONE, "the pod no longer exists");
            }
            LeakPolicy freshPolicy = client.resources(LeakPolicy.class).inNamespace(call.namespace)
                    .withName(call.policyName).get();
            if (freshPolicy == null) {
                return failed(call, intended, null, "the LeakPolicy no longer exists");
            }
            RestartLedger ledger = ledgerOf(freshPolicy);
            List<Pod> pods = client.pods().inNamespace(call.namespace)
                    .withLabelSelector(freshPolicy.getSpec().getSelector()).list().getItems();
            Lookups lookups = new Lookups(call.namespace);
            Workload workload = resolve(fresh, pods, lookups);
            Flights flights = inFlight(ledger, pods, lookups, call.now);
            long hourAgo = RestartRules.hourAgo(call.now);
            RestartFacts facts = new RestartFacts(
                    "true".equals(PodConditions.annotation(fresh, EXCLUDE_ANNOTATION)),
                    PodConditions.running(fresh) && PodConditions.ready(fresh),
                    PodConditions.terminating(fresh),
                    flights.podUids.contains(call.podUid) || flights.rolloutWorkloads.contains(workload.key),
                    workload.shape, flights.count,
                    ledger.lastRestartOf(workload.key, settings.dryRun()),
                    ledger.startedSince(hourAgo, settings.dryRun()),
                    operatorRestartsSince(freshPolicy, ledger, hourAgo, settings.dryRun()),
                    operatorMaxRestartsPerHour, call.now);
            RestartDecision decision = RestartRules.decide(settings, facts);
            if (!decision.allowed()) {
                return blocked(call, intended, fresh, decision.blockedBy(), decision.message());
            }
            return restart(call, freshPolicy, fresh, workload, decision);
        } catch (KubernetesClientException e) {
            log.warn("restart of pod {}/{} failed: {}", call.namespace, call.podName, e.getMessage());
            return failed(call, intended, null, "API error: " + e.getMessage());
        }
    }

    /**
     * Called by the Pod informer for pods a policy selects ({@code newPod} null when deleted):
     * counts OOM kills that happened anyway, once per kill, even across operator restarts, and
     * forgets the in-memory backoff of deleted pods. The end of an in-flight restart needs no
     * notification: every request reads it from the cluster (the replacement is Ready), so the
     * answer is the same on any instance.
     */
    public void onPodChanged(LeakPolicy policy, Pod oldPod, Pod newPod) {
        if (newPod == null) {
            if (oldPod != null) {
                settled(oldPod.getMetadata().getUid());
            }
            return;
        }
        // A pod seen for the first time may carry a kill from before the policy existed: not a miss.
        long notBefore = oldPod == null ? parseMillis(policy.getMetadata().getCreationTimestamp(), Long.MIN_VALUE)
                : Long.MIN_VALUE;
        List<Termination> kills = OomKills.newKills(
                oldPod == null ? List.of() : terminations(oldPod, Long.MIN_VALUE), terminations(newPod, notBefore));
        if (!kills.isEmpty()) {
            recordOomKills(policy, newPod, kills);
        }
    }

    /** Restarts done and OOM kills missed, for the policy's status. */
    public PolicyScore score(LeakPolicy policy) {
        RestartLedger ledger = ledgerOf(policy);
        int statusRestarts = 0;
        int statusMisses = 0;
        if (policy.getStatus() != null) {
            statusRestarts = Objects.requireNonNullElse(policy.getStatus().getRestarts(), 0);
            statusMisses = Objects.requireNonNullElse(policy.getStatus().getOomKillsMissed(), 0);
        }
        synchronized (memory) {
            RestartLedger best = newer(knownLedgers.get(policy.getMetadata().getUid()), ledger);
            knownLedgers.put(policy.getMetadata().getUid(), best);
            return new PolicyScore(Math.max(best.restarts(), statusRestarts), Math.max(best.oomKillsMissed(), statusMisses));
        }
    }

    // ---- acting ------------------------------------------------------------------------------

    private RestartOutcome restart(Call call, LeakPolicy policy, Pod pod, Workload workload, RestartDecision decision) {
        RestartStrategy strategy = decision.strategy();
        boolean dryRun = decision.dryRun();
        String at = rfc3339(call.now);
        LedgerEntry entry = new LedgerEntry(call.podName, call.podUid, workload.key,
                workload.owner.getKind(), workload.owner.getName(), workload.owner.getUid(), strategy, call.now,
                strategy == RestartStrategy.Evict ? workload.readyOfOwner : workload.shape.readyPods(),
                strategy == RestartStrategy.RolloutRestart && !dryRun ? at : null, dryRun);
        Duration retention = RestartLedger.retention(call.settings);
        LedgerWrite written;
        try {
            written = updateLedger(call, policy, l -> l.withRestart(entry, call.now, retention));
        } catch (KubernetesClientException e) {
            return failed(call, strategy.metricType(), strategy, "could not record the restart in the ledger: " + e.getMessage());
        }
        String target = target(strategy, call, workload);
        boolean evict = strategy == RestartStrategy.Evict;
        if (dryRun) {
            String would = (evict ? "would evict " : "would rollout-restart ") + target;
            annotate(call, WOULD_RESTART_AT, at);
            settled(call.podUid);
            events.record(pod, EventReason.WouldRestart, "Dry run: " + would + " (" + decision.message()
                    + "); nothing was changed. Why: " + call.why);
            metrics.action(call.namespace, call.policyName, strategy.metricType(), RestartOutcome.Result.dry_run.name());
            return new RestartOutcome(RestartOutcome.Result.dry_run, strategy, null, would);
        }
        try {
            annotate(call, RESTART_REQUESTED_AT, at);
            if (evict) {
                boolean accepted = evictWithoutRetry(call);
                if (!accepted) {
                    return refusedByBudget(call, pod, entry);
                }
            } else {
                patchTemplate(workload.object, at);
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND && evict) {
                takeBack(call, entry);
                settled(call.podUid);
                return blocked(call, strategy.metricType(), null, BlockRule.POD_GONE, "the pod no longer exists");
            }
            // An error answer (5xx, timeout, broken connection) does not prove the server did nothing. Taking
            // back the entry of a restart that did happen would free its cooldown and maxConcurrent slot
            // for a second restart, so the entry goes only when the cluster shows that nothing happened.
            Boolean happened = restartShows(call, evict, workload, at);
            String failure = "could not " + (evict ? "evict " : "rollout-restart ") + target + ": " + e.getMessage();
            if (happened == null) {
                return failed(call, strategy.metricType(), strategy, failure
                        + "; the ledger keeps the request, since the cluster could not be read to tell whether it was carried out");
            }
            if (!happened) {
                takeBack(call, entry);
                return failed(call, strategy.metricType(), strategy, failure);
            }
            log.warn("{}: the API server answered {} but the restart took place; it stays in the ledger", target, e.getCode());
        }
        settled(call.podUid);
        String done = (evict ? "Evicted " : "Rollout-restarted ") + target;
        events.record(pod, evict ? EventReason.Evicted : EventReason.RolloutRestarted,
                done + " (" + decision.message() + ") for policy " + call.policyName + ". Why: " + call.why);
        metrics.action(call.namespace, call.policyName, strategy.metricType(), RestartOutcome.Result.done.name());
        checkRestartLoop(call, pod, workload, written.after);
        return new RestartOutcome(RestartOutcome.Result.done, strategy, null, done);
    }

    /** Whether the cluster shows the restart: the pod gone or terminating, or the template carrying {@code at}; null when unreadable. */
    private Boolean restartShows(Call call, boolean evict, Workload workload, String at) {
        try {
            if (evict) {
                Pod now = client.pods().inNamespace(call.namespace).withName(call.podName).get();
                return now == null || !call.podUid.equals(now.getMetadata().getUid()) || PodConditions.terminating(now);
            }
            HasMetadata current = client.resource(workload.object).get();
            PodTemplateSpec template = current == null ? null : templateOf(current);
            return template != null && template.getMetadata() != null && template.getMetadata().getAnnotations() != null
                    && at.equals(template.getMetadata().getAnnotations().get(ROLLOUT_RESTARTED_AT));
        } catch (KubernetesClientException e) {
            log.warn("cannot tell whether the restart of pod {}/{} happened: {}", call.namespace, call.podName, e.getMessage());
            return null;
        }
    }

    private boolean evictWithoutRetry(Call call) {
        Eviction eviction = new EvictionBuilder()
                .withNewMetadata().withName(call.podName).withNamespace(call.namespace).endMetadata()
                .build();
        // The client would retry a 429 by itself ten times; the door backs off on its own clock instead.
        return client.adapt(NamespacedKubernetesClient.class)
                .withRequestConfig(new RequestConfigBuilder().withRequestRetryBackoffLimit(0).build())
                .call(c -> c.pods().inNamespace(call.namespace).withName(call.podName).evict(eviction));
    }

    private RestartOutcome refusedByBudget(Call call, Pod pod, LedgerEntry entry) {
        takeBack(call, entry);
        List<String> budgets = budgetsOf(pod);
        RetryBackoff.Refusal refusal;
        synchronized (memory) {
            refusal = refusals.refused(call.podUid, call.now);
            lastReportedBlock.put(call.podUid, BlockRule.DISRUPTION_BUDGET.id());
        }
        String budgetText = budgets.isEmpty() ? "a PodDisruptionBudget" : "PodDisruptionBudget " + String.join(", ", budgets);
        String message = "eviction refused by " + budgetText + ": it allows no disruption now; retrying in "
                + Duration.ofMillis(refusal.delayMillis()).toSeconds() + "s";
        if (refusal.first()) {
            events.record(pod, EventReason.RestartBlocked, "Restart not started (" + BlockRule.DISRUPTION_BUDGET.id() + "): "
                    + "the eviction was refused by " + budgetText + ", which allows no disruption now. leakguard backs off "
                    + "(30s doubling to 10m) and never bypasses the budget. Why: " + call.why);
        }
        metrics.action(call.namespace, call.policyName, RestartStrategy.Evict.metricType(), RestartOutcome.Result.blocked.name());
        return new RestartOutcome(RestartOutcome.Result.blocked, RestartStrategy.Evict, BlockRule.DISRUPTION_BUDGET.id(), message);
    }

    /** Names the PodDisruptionBudgets that select the pod, for the Event; empty when they cannot be read. */
    private List<String> budgetsOf(Pod pod) {
        try {
            List<String> names = new ArrayList<>();
            for (PodDisruptionBudget budget : client.policy().v1().podDisruptionBudget()
                    .inNamespace(pod.getMetadata().getNamespace()).list().getItems()) {
                if (LabelSelectors.matches(budget.getSpec().getSelector(), pod.getMetadata().getLabels())) {
                    names.add(budget.getMetadata().getName());
                }
            }
            return names;
        } catch (KubernetesClientException e) {
            log.debug("could not list PodDisruptionBudgets: {}", e.getMessage());
            return List.of();
        }
    }

    /** Undoes the records of a restart that did not happen: the ledger entry and the pod marker. */
    private void takeBack(Call call, LedgerEntry entry) {
        try {
            updateLedger(call, null, l -> l.withoutRestart(entry));
        } catch (KubernetesClientException e) {
            // The entry stays; InFlightRules.STALE_REQUEST releases its slot once the pod is seen still serving.
            log.warn("could not take back the ledger entry for pod {}/{}: {}", call.namespace, call.podName, e.getMessage());
        }
        try {
            Pod current = client.pods().inNamespace(call.namespace).withName(call.podName).get();
            if (current != null && PodConditions.annotation(current, RESTART_REQUESTED_AT) != null) {
                ArrayNode patch = JSON.createArrayNode();
                patch.addObject().put("op", "remove")
                        .put("path", "/metadata/annotations/" + RESTART_REQUESTED_AT.replace("~", "~0").replace("/", "~1"));
                client.pods().inNamespace(call.namespace).withName(call.podName)
                        .patch(PatchContext.of(PatchType.JSON), patch.toString());
            }
        } catch (KubernetesClientException e) {
            log.warn("could not remove {} from pod {}/{}: {}", RESTART_REQUESTED_AT, call.namespace, call.podName, e.getMessage());
        }
    }

    private void annotate(Call call, String key, String value) {
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("metadata").putObject("annotations").put(key, value);
        client.pods().inNamespace(call.namespace).withName(call.podName)
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    }

    private void patchTemplate(HasMetadata workload, String restartedAt) {
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("spec").putObject("template").putObject("metadata").putObject("annotations")
                .put(ROLLOUT_RESTARTED_AT, restartedAt);
        client.resource(workload).patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    }

    private void checkRestartLoop(Call call, Pod pod, Workload workload, RestartLedger ledger) {
        Duration window = call.settings.loop().window();
        int recent = ledger.restartsOf(workload.key, call.now - window.toMillis());
        if (call.settings.loop().isLoop(recent)) {
            events.record(workload.object != null ? workload.object : pod, EventReason.RestartLoop,
                    workload.key + " was restarted " + recent + " times within " + window.toMinutes()
                            + "m by policy " + call.policyName + ": restarts only buy time; fix the leak");
            metrics.restartLoop(call.namespace, call.policyName);
        }
    }

    // ---- OOM kills -----------------------------------------------------------------------------

    private synchronized void recordOomKills(LeakPolicy policy, Pod pod, List<Termination> kills) {
        String namespace = pod.getMetadata().getNamespace();
        String podUid = pod.getMetadata().getUid();
        List<String> keys = kills.stream().map(k -> podUid + "/" + k.key()).toList();
        Call call = new Call(policy.getMetadata().getName(), namespace, pod.getMetadata().getName(), podUid, null, null,
                clock.millis());
        RestartLedger before;
        try {
            LedgerWrite written = updateLedger(call, null, l -> l.withOomKills(keys));
            before = written.before;
        } catch (KubernetesClientException e) {
            log.warn("could not record OOM kills of pod {}/{} in the ledger: {}", namespace, pod.getMetadata().getName(),
                    e.getMessage());
            before = RestartLedger.EMPTY;
        }
        for (int i = 0; i < kills.size(); i++) {
            if (before.oomKillSeen(keys.get(i))) {
                continue;
            }
            Termination kill = kills.get(i);
            events.record(pod, EventReason.OOMKillMissed, "Container " + kill.container() + " was OOM-killed (restart #"
                    + kill.restartNumber() + ") while policy " + call.policyName
                    + " watched it: a miss. The leak outran the prediction, or the restart was blocked.");
            metrics.oomKillMissed(namespace, call.policyName);
        }
    }

    private static List<Termination> terminations(Pod pod, long notBeforeMillis) {
        List<Termination> out = new ArrayList<>();
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return out;
        }
        for (ContainerStatus status : pod.getStatus().getContainerStatuses()) {
            int restarts = Objects.requireNonNullElse(status.getRestartCount(), 0);
            ContainerStateTerminated last = status.getLastState() == null ? null : status.getLastState().getTerminated();
            if (last != null && parseMillis(last.getFinishedAt(), Long.MAX_VALUE) >= notBeforeMillis) {
                out.add(Termination.last(status.getName(), restarts, last.getReason()));
            }
            ContainerStateTerminated current = status.getState() == null ? null : status.getState().getTerminated();
            if (current != null && parseMillis(current.getFinishedAt(), Long.MAX_VALUE) >= notBeforeMillis) {
                out.add(Termination.current(status.getName(), restarts, current.getReason()));
            }
        }
        return out;
    }

    // ---- the ledger ----------------------------------------------------------------------------

    private record LedgerWrite(RestartLedger before, RestartLedger after) {
    }

    /**
     * Read-modify-write of the ledger annotation with the policy's resourceVersion as precondition,
     * so two writers never lose each other's entries. {@code known} is a policy just read, or null.
     */
    private LedgerWrite updateLedger(Call call, LeakPolicy known, UnaryOperator<RestartLedger> change) {
        LeakPolicy current = known;
        for (int attempt = 1; ; attempt++) {
            if (current == null) {
                current = client.resources(LeakPolicy.class).inNamespace(call.namespace).withName(call.policyName).get();
                if (current == null) {
                    throw new KubernetesClientException("LeakPolicy " + call.namespace + "/" + call.policyName + " is gone",
                            HttpURLConnection.HTTP_NOT_FOUND, null);
                }
            }
            RestartLedger before = ledgerOf(current);
            RestartLedger after = change.apply(before);
            if (after.equals(before)) {
                return new LedgerWrite(before, after);
            }
            ObjectNode patch = JSON.createObjectNode();
            ObjectNode metadata = patch.putObject("metadata");
            metadata.put("resourceVersion", current.getMetadata().getResourceVersion());
            metadata.putObject("annotations").put(LEDGER_ANNOTATION, LedgerCodec.write(after));
            try {
                client.resources(LeakPolicy.class).inNamespace(call.namespace).withName(call.policyName)
                        .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
                synchronized (memory) {
                    knownLedgers.put(current.getMetadata().getUid(), after);
                }
                return new LedgerWrite(before, after);
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt >= LEDGER_WRITE_ATTEMPTS) {
                    throw e;
                }
                current = null;
            }
        }
    }

    private RestartLedger ledgerOf(LeakPolicy policy) {
        try {
            return LedgerCodec.read(PodConditions.annotation(policy, LEDGER_ANNOTATION));
        } catch (IllegalArgumentException e) {
            log.warn("LeakPolicy {}/{}: {}; starting a new ledger", policy.getMetadata().getNamespace(),
                    policy.getMetadata().getName(), e.getMessage());
            return RestartLedger.EMPTY;
        }
    }

    private int operatorRestartsSince(LeakPolicy policy, RestartLedger ledger, long sinceMillis, boolean dryRun) {
        synchronized (memory) {
            knownLedgers.put(policy.getMetadata().getUid(), ledger); // just read from the API server: the truth
            return knownLedgers.values().stream().mapToInt(l -> l.startedSince(sinceMillis, dryRun)).sum();
        }
    }

    /** The more recent of two copies of one policy's ledger (the informer's copy may lag behind ours). */
    private static RestartLedger newer(RestartLedger a, RestartLedger b) {
        if (a == null) {
            return b;
        }
        long lastA = a.entries().stream().mapToLong(LedgerEntry::atMillis).max().orElse(Long.MIN_VALUE);
        long lastB = b.entries().stream().mapToLong(LedgerEntry::atMillis).max().orElse(Long.MIN_VALUE);
        if (lastA != lastB) {
            return lastA > lastB ? a : b;
        }
        return a.restarts() + a.oomKillsMissed() >= b.restarts() + b.oomKillsMissed() ? a : b;
    }

    // ---- reading the cluster -------------------------------------------------------------------

    private record Call(String policyName, String namespace, String podName, String podUid, RestartSettings settings,
                        String why, long now) {
    }

    /**
     * The pod's owning workload. {@code key} ("Kind/name") is the unit of cooldown and restart loops;
     * {@code owner} is the pod's direct controller (a Deployment pod's ReplicaSet); {@code object} is the
     * workload a rollout restart patches, null when there is none to read.
     */
    private record Workload(String key, OwnerReference owner, HasMetadata object, WorkloadShape shape, int readyOfOwner) {
    }

    private Workload resolve(Pod pod, List<Pod> pods, Lookups lookups) {
        OwnerReference owner = PodConditions.controllerOf(pod);
        if (owner == null) {
            return new Workload("Pod/" + pod.getMetadata().getName(), null, null, WorkloadShape.NO_CONTROLLER, 0);
        }
        int readyOfOwner = (int) pods.stream()
                .filter(p -> PodConditions.healthy(p) && ownedBy(p, owner.getUid()))
                .count();
        HasMetadata controller = lookups.get(owner.getKind(), owner.getName());
        HasMetadata workload = controller;
        WorkloadKind kind = switch (owner.getKind()) {
            case "ReplicaSet" -> WorkloadKind.REPLICA_SET;
            case "StatefulSet" -> WorkloadKind.STATEFUL_SET;
            case "DaemonSet" -> WorkloadKind.DAEMON_SET;
            default -> WorkloadKind.OTHER;
        };
        if (controller instanceof ReplicaSet) {
            OwnerReference deployment = PodConditions.controllerOf(controller);
            HasMetadata found = deployment != null && "Deployment".equals(deployment.getKind())
                    ? lookups.get("Deployment", deployment.getName()) : null;
            if (found != null) {
                workload = found;
                kind = WorkloadKind.DEPLOYMENT;
            }
        }
        if (workload == null) {
            kind = WorkloadKind.OTHER; // a controller we cannot read has no rollout we could trigger
        }
        if (workload == null || !kind.canRollOut()) {
            return new Workload(owner.getKind() + "/" + owner.getName(), owner, workload,
                    new WorkloadShape(kind, readyOfOwner, false), readyOfOwner);
        }
        LabelSelector selector = selectorOf(workload);
        int readyOfWorkload = (int) pods.stream()
                .filter(p -> PodConditions.healthy(p) && LabelSelectors.matches(selector, p.getMetadata().getLabels()))
                .count();
        return new Workload(workload.getKind() + "/" + workload.getMetadata().getName(), owner, workload,
                new WorkloadShape(kind, readyOfWorkload, canSurge(workload)), readyOfOwner);
    }

    /** RollingUpdate (the default) with a maxSurge (default 25%) that rounds up to at least one pod. */
    private static boolean canSurge(HasMetadata workload) {
        if (!(workload instanceof Deployment deployment)) {
            return false;
        }
        DeploymentStrategy strategy = deployment.getSpec().getStrategy();
        if (strategy != null && strategy.getType() != null && !"RollingUpdate".equals(strategy.getType())) {
            return false;
        }
        String maxSurge = "25%";
        if (strategy != null && strategy.getRollingUpdate() != null && strategy.getRollingUpdate().getMaxSurge() != null) {
            var surge = strategy.getRollingUpdate().getMaxSurge();
            maxSurge = surge.getIntVal() != null ? surge.getIntVal().toString() : surge.getStrVal();
        }
        int replicas = Objects.requireNonNullElse(deployment.getSpec().getReplicas(), 1);
        return IntOrPercent.scaled(maxSurge, replicas, true) > 0;
    }

    private record Flights(int count, Set<String> podUids, Set<String> rolloutWorkloads) {
    }

    private Flights inFlight(RestartLedger ledger, List<Pod> pods, Lookups lookups, long now) {
        int count = 0;
        Set<String> podUids = new HashSet<>();
        Set<String> rollouts = new HashSet<>();
        for (LedgerEntry entry : ledger.entries()) {
            if (entry.dryRun()) {
                continue;
            }
            boolean flying = entry.strategy() == RestartStrategy.Evict
                    ? InFlightRules.evictionInFlight(entry, evictionProgress(entry, pods, lookups), now)
                    : InFlightRules.rolloutInFlight(entry, rolloutProgress(entry, pods, lookups));
            if (flying) {
                count++;
                podUids.add(entry.podUid());
                if (entry.strategy() == RestartStrategy.RolloutRestart) {
                    rollouts.add(entry.workload());
                }
            }
        }
        return new Flights(count, podUids, rollouts);
    }

    private InFlightRules.EvictionProgress evictionProgress(LedgerEntry entry, List<Pod> pods, Lookups lookups) {
        Optional<Pod> victim = pods.stream().filter(p -> entry.podUid().equals(p.getMetadata().getUid())).findFirst();
        HasMetadata owner = lookups.get(entry.ownerKind(), entry.ownerName());
        boolean unreadableKind = !Lookups.READABLE.contains(entry.ownerKind());
        boolean ownerExists = unreadableKind || owner != null && entry.ownerUid().equals(owner.getMetadata().getUid());
        int readyOthers = (int) pods.stream()
                .filter(p -> PodConditions.healthy(p) && ownedBy(p, entry.ownerUid()) && !entry.podUid().equals(p.getMetadata().getUid()))
                .count();
        return new InFlightRules.EvictionProgress(victim.isPresent(), victim.map(PodConditions::terminating).orElse(false),
                ownerExists, owner == null ? -1 : desiredOf(owner), readyOthers);
    }

    private InFlightRules.RolloutProgress rolloutProgress(LedgerEntry entry, List<Pod> pods, Lookups lookups) {
        String[] kindAndName = entry.workload().split("/", 2);
        HasMetadata workload = lookups.get(kindAndName[0], kindAndName[1]);
        if (workload == null) {
            return new InFlightRules.RolloutProgress(false, null, -1, 0, 0);
        }
        LabelSelector selector = selectorOf(workload);
        List<Pod> current = pods.stream()
                .filter(p -> !PodConditions.terminating(p) && LabelSelectors.matches(selector, p.getMetadata().getLabels()))
                .toList();
        int readyOnNew = (int) current.stream()
                .filter(p -> PodConditions.ready(p) && Objects.equals(entry.restartedAt(), PodConditions.annotation(p, ROLLOUT_RESTARTED_AT)))
                .count();
        PodTemplateSpec template = templateOf(workload);
        String templateRestartedAt = template == null || template.getMetadata() == null
                || template.getMetadata().getAnnotations() == null ? null
                : template.getMetadata().getAnnotations().get(ROLLOUT_RESTARTED_AT);
        return new InFlightRules.RolloutProgress(true, templateRestartedAt, desiredOf(workload), current.size(), readyOnNew);
    }

    private static boolean ownedBy(Pod pod, String controllerUid) {
        OwnerReference controller = PodConditions.controllerOf(pod);
        return controller != null && controllerUid.equals(controller.getUid());
    }

    private static int desiredOf(HasMetadata workload) {
        Integer replicas = null;
        if (workload instanceof Deployment d) {
            replicas = d.getSpec().getReplicas();
        } else if (workload instanceof ReplicaSet r) {
            replicas = r.getSpec().getReplicas();
        } else if (workload instanceof StatefulSet s) {
            replicas = s.getSpec().getReplicas();
        } else {
            return -1;
        }
        return Objects.requireNonNullElse(replicas, 1);
    }

    private static LabelSelector selectorOf(HasMetadata workload) {
        if (workload instanceof Deployment d) {
            return d.getSpec().getSelector();
        } else if (workload instanceof StatefulSet s) {
            return s.getSpec().getSelector();
        } else if (workload instanceof DaemonSet ds) {
            return ds.getSpec().getSelector();
        } else if (workload instanceof ReplicaSet r) {
            return r.getSpec().getSelector();
        }
        return null;
    }

    private static PodTemplateSpec templateOf(HasMetadata workload) {
        if (workload instanceof Deployment d) {
            return d.getSpec().getTemplate();
        } else if (workload instanceof StatefulSet s) {
            return s.getSpec().getTemplate();
        } else if (workload instanceof DaemonSet ds) {
            return ds.getSpec().getTemplate();
        }
        return null;
    }

    /** Reads each controller at most once per decision; kinds it cannot read come back null. */
    private final class Lookups {
        static final Set<String> READABLE = Set.of("ReplicaSet", "Deployment", "StatefulSet", "DaemonSet");
        private final String namespace;
        private final Map<String, Optional<HasMetadata>> seen = new HashMap<>();

        Lookups(String namespace) {
            this.namespace = namespace;
        }

        HasMetadata get(String kind, String name) {
            return seen.computeIfAbsent(kind + "/" + name, k -> Optional.ofNullable(read(kind, name))).orElse(null);
        }

        private HasMetadata read(String kind, String name) {
            return switch (kind) {
                case "ReplicaSet" -> client.apps().replicaSets().inNamespace(namespace).withName(name).get();
                case "Deployment" -> client.apps().deployments().inNamespace(namespace).withName(name).get();
                case "StatefulSet" -> client.apps().statefulSets().inNamespace(namespace).withName(name).get();
                case "DaemonSet" -> client.apps().daemonSets().inNamespace(namespace).withName(name).get();
                default -> null;
            };
        }
    }

    // ---- outcomes ------------------------------------------------------------------------------

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
        metrics.action(call.namespace, call.policyName, type, RestartOutcome.Result.blocked.name());
        return new RestartOutcome(RestartOutcome.Result.blocked, null, rule.id(), message);
    }

    private RestartOutcome failed(Call call, String type, RestartStrategy strategy, String message) {
        metrics.action(call.namespace, call.policyName, type, RestartOutcome.Result.failed.name());
        return new RestartOutcome(RestartOutcome.Result.failed, strategy, null, message);
    }

    /** The pod got its restart (or dry-run verdict) or is gone: its next refusal or block starts a new streak. */
    private void settled(String podUid) {
        synchronized (memory) {
            refusals.clear(podUid);
            lastReportedBlock.remove(podUid);
        }
    }

    /** What a restart acts on: the pod for an eviction, the workload for a rollout restart. */
    private static String target(RestartStrategy strategy, Call call, Workload workload) {
        return strategy == RestartStrategy.Evict
                ? "pod " + call.namespace + "/" + call.podName
                : workload.key + " (leaking pod " + call.podName + ")";
    }

    private static String rfc3339(long millis) {
        return Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static long parseMillis(String timestamp, long fallback) {
        if (timestamp == null || timestamp.isBlank()) {
            return fallback;
        }
        try {
            return Instant.parse(timestamp).toEpochMilli();
        } catch (RuntimeException e) {
            return fallback;
        }
    }
}
