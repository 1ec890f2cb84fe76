package dev.leakguard.act;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.EventReason;
import dev.leakguard.decide.OomKills.Termination;
import dev.leakguard.decide.OomKills;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.engine.PolicyRef;
import dev.leakguard.kube.Pods;
import dev.leakguard.kube.Refs;
import dev.leakguard.metrics.OperatorMetrics;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the OOM kills that happened anyway in pods a policy watches: each one is a miss, recorded
 * once per kill in the policy's ledger (so a new leader does not count it again), with an
 * OOMKillMissed Event and a metric. Fed by the pod informer's updates; the comparison of the old and
 * new pod is done on the informer's thread, the ledger write and the Event on this tracker's own
 * thread, so neither the informer nor a reconcile ever waits for the API server here — nor for a
 * restart in progress, which shares nothing with this but the ledger's optimistic writes.
 */
public final class OomKillTracker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OomKillTracker.class);
    /** Pods with new kills waiting to be recorded; beyond this a burst is logged and recorded at the next change. */
    private static final int QUEUE = 10_000;

    private final LedgerStore ledgers;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final BackgroundWriter recorder;

    public OomKillTracker(LedgerStore ledgers, EventRecorder events, OperatorMetrics metrics) {
        this.ledgers = ledgers;
        this.events = events;
        this.metrics = metrics;
        this.recorder = new BackgroundWriter("leakguard-oom-kills", QUEUE);
    }

    /**
     * A pod {@code policy} selects changed: {@code oldPod} is null when it is seen for the first time
     * (then a kill from before the policy existed is not a miss).
     */
    public void podChanged(LeakPolicy policy, Pod oldPod, Pod newPod) {
        long notBefore = oldPod == null ? parseMillis(policy.getMetadata().getCreationTimestamp(), Long.MIN_VALUE) : Long.MIN_VALUE;
        List<Termination> kills = OomKills.newKills(
                oldPod == null ? List.of() : terminations(oldPod, Long.MIN_VALUE), terminations(newPod, notBefore));
        if (kills.isEmpty()) {
            return;
        }
        PolicyRef ref = Refs.policyRef(policy);
        if (!recorder.offer(() -> record(ref, newPod, kills))) {
            log.warn("{} OOM kill(s) of pod {}/{} not recorded: too many waiting", kills.size(),
                    newPod.getMetadata().getNamespace(), newPod.getMetadata().getName());
        }
    }

    private void record(PolicyRef policy, Pod pod, List<Termination> kills) {
        String namespace = pod.getMetadata().getNamespace();
        String podUid = pod.getMetadata().getUid();
        List<String> keys = kills.stream().map(k -> podUid + "/" + k.key()).toList();
        RestartLedger before;
        try {
            before = ledgers.update(policy, l -> l.withOomKills(keys)).before();
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
                    + kill.restartNumber() + ") while policy " + policy.name()
                    + " watched it: a miss. The leak outran the prediction, or the restart was blocked.");
            metrics.oomKillMissed(namespace, policy.name());
        }
    }

    /** Waits until the kills already seen are recorded; for shutdown and tests. */
    public void flush(long timeoutMillis) {
        recorder.flush(timeoutMillis);
    }

    @Override
    public void close() {
        recorder.close();
    }

    private static List<Termination> terminations(Pod pod, long notBeforeMillis) {
        List<Termination> out = new ArrayList<>();
        // Native sidecars are OOM-killed like any container, and their statuses are among the init containers'.
        for (ContainerStatus status : Pods.longRunningContainerStatuses(pod)) {
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
