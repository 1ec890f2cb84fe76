package dev.leakguard.act;

import dev.leakguard.decide.InFlightRules;
import dev.leakguard.decide.IntOrPercent;
import dev.leakguard.decide.LedgerEntry;
import dev.leakguard.decide.PodSelector;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.decide.RestartPace;
import dev.leakguard.decide.RestartStrategy;
import dev.leakguard.decide.WorkloadKind;
import dev.leakguard.decide.WorkloadShape;
import dev.leakguard.kube.Pods;
import dev.leakguard.kube.Selectors;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what the restart door must know about a pod's surroundings, fresh from the API server for
 * every request: the pod itself, the policy's pods, the pod's owning workload (its kind, Ready pods
 * and whether its rollout can surge), which recorded restarts are still in flight, how fast finished
 * ones came back and what the PodDisruptionBudgets allow. Reads only.
 */
public final class WorkloadFacts {
    private static final Logger log = LoggerFactory.getLogger(WorkloadFacts.class);
    private static final Set<String> READABLE_KINDS = Set.of("ReplicaSet", "Deployment", "StatefulSet", "DaemonSet");

    private final KubernetesClient client;

    public WorkloadFacts(KubernetesClient client) {
        this.client = client;
    }

    /**
     * The pod's owning workload. {@code key} ("Kind/name") is the unit of cooldown and restart loops;
     * {@code owner} is the pod's direct controller (a Deployment pod's ReplicaSet), null without one;
     * {@code object} is the workload a rollout restart patches, null when there is none to read.
     */
    record Workload(String key, OwnerReference owner, HasMetadata object, WorkloadShape shape, int readyOfOwner) {
    }

    /** The policy's restarts still in flight, and what they cover. */
    record Flights(int count, Set<String> podUids, Set<String> rolloutWorkloads) {
        boolean cover(String podUid, String workload) {
            return podUids.contains(podUid) || rolloutWorkloads.contains(workload);
        }
    }

    Pod pod(String namespace, String name) {
        return client.pods().inNamespace(namespace).withName(name).get();
    }

    /** The cluster around {@code pod} now: the policy's pods and the pod's workload. */
    Snapshot around(Pod pod, PodSelector policySelector) {
        String namespace = pod.getMetadata().getNamespace();
        List<Pod> pods = client.pods().inNamespace(namespace).withLabelSelector(Selectors.toLabelSelector(policySelector))
                .list().getItems();
        Lookups lookups = new Lookups(namespace);
        return new Snapshot(resolve(pod, pods, lookups), pods, lookups);
    }

    /** What one request found; controllers are read when first needed and at most once. */
    final class Snapshot {
        private final Workload workload;
        private final List<Pod> pods;
        private final Lookups lookups;
        private Optional<Integer> budgetAllows;

        private Snapshot(Workload workload, List<Pod> pods, Lookups lookups) {
            this.workload = workload;
            this.pods = pods;
            this.lookups = lookups;
        }

        Workload workload() {
            return workload;
        }

        /** The policy's pods as listed for this request. */
        List<Pod> pods() {
            return pods;
        }

        /**
         * The ledger with the pace of every workload whose recorded restart has completed since its pace was
         * last measured: the time from the restart request to the replacement's Ready transition (a rollout:
         * to the last new pod's). A restart whose replacement shows no Ready transition time is not measured.
         */
        RestartLedger withMeasuredPaces(RestartLedger ledger, long now) {
            RestartLedger measured = ledger;
            for (LedgerEntry entry : ledger.entries()) {
                RestartPace pace = measured.paceOf(entry.workload());
                if (entry.dryRun() || entry.atMillis() <= pace.measuredAtMillis() || flying(entry, now)) {
                    continue;
                }
                OptionalLong readyAt = entry.strategy() == RestartStrategy.Evict ? replacementReadyAt(entry) : rolloutReadyAt(entry);
                if (readyAt.isPresent() && readyAt.getAsLong() <= now) {
                    measured = measured.withPace(entry.workload(),
                            pace.measuredAgain(Duration.ofMillis(readyAt.getAsLong() - entry.atMillis()), entry.atMillis()));
                }
            }
            return measured;
        }

        /** The first of the owner's pods to turn Ready after the restart request: the replacement. */
        private OptionalLong replacementReadyAt(LedgerEntry entry) {
            return pods.stream()
                    .filter(p -> Pods.healthy(p) && ownedBy(p, entry.ownerUid()) && !entry.podUid().equals(p.getMetadata().getUid()))
                    .mapToLong(WorkloadFacts::readySinceMillis)
                    .filter(at -> at >= entry.atMillis())
                    .min();
        }

        /** The last pod of the rollout to turn Ready: the whole rollout's end. */
        private OptionalLong rolloutReadyAt(LedgerEntry entry) {
            return pods.stream()
                    .filter(p -> Pods.healthy(p) && Objects.equals(entry.restartedAt(), Pods.annotation(p, Disruptor.ROLLOUT_RESTARTED_AT)))
                    .mapToLong(WorkloadFacts::readySinceMillis)
                    .filter(at -> at >= entry.atMillis())
                    .max();
        }

        /**
         * How many of the pod's workload the PodDisruptionBudgets selecting it allow down at once (their spec,
         * not the momentary {@code disruptionsAllowed}); {@link Integer#MAX_VALUE} without one, null when unreadable.
         */
        Integer budgetAllows(Pod pod) {
            if (budgetAllows == null) {
                int desired = workload.object() == null ? workload.shape().readyPods() : desiredOf(workload.object());
                budgetAllows = Optional.ofNullable(WorkloadFacts.this.budgetAllows(pod, desired < 0 ? workload.shape().readyPods() : desired));
            }
            return budgetAllows.orElse(null);
        }

        /** The ledger's restarts that the cluster shows still in flight at {@code now}. */
        Flights inFlight(RestartLedger ledger, long now) {
            int count = 0;
            Set<String> podUids = new HashSet<>();
            Set<String> rollouts = new HashSet<>();
            for (LedgerEntry entry : ledger.entries()) {
                if (!entry.dryRun() && flying(entry, now)) {
                    count++;
                    podUids.add(entry.podUid());
                    if (entry.strategy() == RestartStrategy.RolloutRestart) {
                        rollouts.add(entry.workload());
                    }
                }
            }
            return new Flights(count, podUids, rollouts);
        }

        private boolean flying(LedgerEntry entry, long now) {
            if (entry.strategy() == RestartStrategy.Evict) {
                return InFlightRules.evictionInFlight(entry, evictionProgress(entry), now);
            }
            InFlightRules.RolloutProgress progress = rolloutProgress(entry);
            return InFlightRules.rolloutInFlight(entry, progress) && !InFlightRules.rolloutStalled(entry, progress, now);
        }

        /** The ledger's rollout restarts that showed no progress within {@link InFlightRules#ROLLOUT_PROGRESS_DEADLINE}. */
        List<LedgerEntry> stalled(RestartLedger ledger, long now) {
            return ledger.entries().stream()
                    .filter(e -> !e.dryRun() && e.strategy() == RestartStrategy.RolloutRestart
                            && InFlightRules.rolloutStalled(e, rolloutProgress(e), now))
                    .toList();
        }

        /** The workload named "Kind/name", as read for this request, or null. */
        HasMetadata workloadNamed(String key) {
            String[] kindAndName = key.split("/", 2);
            return kindAndName.length < 2 ? null : lookups.get(kindAndName[0], kindAndName[1]);
        }

        private InFlightRules.EvictionProgress evictionProgress(LedgerEntry entry) {
            Optional<Pod> victim = pods.stream().filter(p -> entry.podUid().equals(p.getMetadata().getUid())).findFirst();
            HasMetadata owner = lookups.get(entry.ownerKind(), entry.ownerName());
            boolean unreadableKind = !READABLE_KINDS.contains(entry.ownerKind());
            boolean ownerExists = unreadableKind || owner != null && entry.ownerUid().equals(owner.getMetadata().getUid());
            int readyOthers = (int) pods.stream()
                    .filter(p -> Pods.healthy(p) && ownedBy(p, entry.ownerUid()) && !entry.podUid().equals(p.getMetadata().getUid()))
                    .count();
            return new InFlightRules.EvictionProgress(victim.isPresent(), victim.map(Pods::terminating).orElse(false),
                    ownerExists, owner == null ? -1 : desiredOf(owner), readyOthers);
        }

        private InFlightRules.RolloutProgress rolloutProgress(LedgerEntry entry) {
            String[] kindAndName = entry.workload().split("/", 2);
            HasMetadata workload = lookups.get(kindAndName[0], kindAndName[1]);
            if (workload == null) {
                return new InFlightRules.RolloutProgress(false, null, -1, 0, 0);
            }
            LabelSelector selector = selectorOf(workload);
            List<Pod> current = pods.stream()
                    .filter(p -> !Pods.terminating(p) && Selectors.matches(selector, p.getMetadata().getLabels()))
                    .toList();
            int readyOnNew = (int) current.stream()
                    .filter(p -> Pods.ready(p) && Objects.equals(entry.restartedAt(), Pods.annotation(p, Disruptor.ROLLOUT_RESTARTED_AT)))
                    .count();
            return new InFlightRules.RolloutProgress(true, templateRestartedAt(workload), desiredOf(workload), current.size(),
                    readyOnNew);
        }
    }

    /** Names the PodDisruptionBudgets that select the pod, for the Event; empty when they cannot be read. */
    List<String> budgetsOf(Pod pod) {
        try {
            return budgetsSelecting(pod).stream().map(b -> b.getMetadata().getName()).toList();
        } catch (KubernetesClientException e) {
            log.debug("could not list PodDisruptionBudgets: {}", e.getMessage());
            return List.of();
        }
    }

    private Integer budgetAllows(Pod pod, int desired) {
        try {
            int allows = Integer.MAX_VALUE;
            for (PodDisruptionBudget budget : budgetsSelecting(pod)) {
                var spec = budget.getSpec();
                if (spec.getMaxUnavailable() != null) {
                    allows = Math.min(allows, IntOrPercent.scaled(intOrPercent(spec.getMaxUnavailable()), desired, true));
                } else if (spec.getMinAvailable() != null) {
                    allows = Math.min(allows, desired - IntOrPercent.scaled(intOrPercent(spec.getMinAvailable()), desired, true));
                }
            }
            return Math.max(1, allows);
        } catch (KubernetesClientException e) {
            log.debug("could not list PodDisruptionBudgets: {}", e.getMessage());
            return null;
        }
    }

    private static String intOrPercent(IntOrString value) {
        return value.getIntVal() != null ? value.getIntVal().toString() : value.getStrVal();
    }

    private List<PodDisruptionBudget> budgetsSelecting(Pod pod) {
        return client.policy().v1().podDisruptionBudget().inNamespace(pod.getMetadata().getNamespace()).list().getItems().stream()
                .filter(b -> Selectors.matches(b.getSpec().getSelector(), pod.getMetadata().getLabels()))
                .toList();
    }

    /** When the pod's Ready condition last turned true, or -1 when it does not say. */
    private static long readySinceMillis(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return -1;
        }
        return pod.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()) && c.getLastTransitionTime() != null)
                .mapToLong(c -> Instant.parse(c.getLastTransitionTime()).toEpochMilli())
                .findFirst().orElse(-1);
    }

    /**
     * After an error answer: whether the cluster shows the restart anyway — the pod gone or
     * terminating, or the workload's template carrying {@code restartedAt}; null when that cannot be read.
     */
    Boolean restartShows(Pod pod, Workload workload, boolean evict, String restartedAt) {
        try {
            if (evict) {
                Pod now = pod(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
                return now == null || !pod.getMetadata().getUid().equals(now.getMetadata().getUid()) || Pods.terminating(now);
            }
            HasMetadata current = client.resource(workload.object()).get();
            return current != null && restartedAt.equals(templateRestartedAt(current));
        } catch (KubernetesClientException e) {
            log.warn("cannot tell whether the restart of pod {}/{} happened: {}", pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(), e.getMessage());
            return null;
        }
    }

    private static Workload resolve(Pod pod, List<Pod> pods, Lookups lookups) {
        OwnerReference owner = Pods.controllerOf(pod);
        if (owner == null) {
            return new Workload("Pod/" + pod.getMetadata().getName(), null, null, WorkloadShape.NO_CONTROLLER, 0);
        }
        int readyOfOwner = (int) pods.stream()
                .filter(p -> Pods.healthy(p) && ownedBy(p, owner.getUid()))
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
            OwnerReference deployment = Pods.controllerOf(controller);
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
                .filter(p -> Pods.healthy(p) && Selectors.matches(selector, p.getMetadata().getLabels()))
                .count();
        return new Workload(workload.getKind() + "/" + workload.getMetadata().getName(), owner, workload,
                new WorkloadShape(kind, readyOfWorkload, canSurge(workload), wontRoll(workload, pod)), readyOfOwner);
    }

    /** Why a rollout restart of {@code workload} would not replace {@code pod}, or null when it would. */
    static String wontRoll(HasMetadata workload, Pod pod) {
        if (workload instanceof Deployment d && Boolean.TRUE.equals(d.getSpec().getPaused())) {
            return "Deployment " + d.getMetadata().getName() + " is paused (spec.paused: true)";
        }
        if (workload instanceof DaemonSet ds && ds.getSpec().getUpdateStrategy() != null
                && "OnDelete".equals(ds.getSpec().getUpdateStrategy().getType())) {
            return "DaemonSet " + ds.getMetadata().getName() + " has updateStrategy OnDelete";
        }
        if (workload instanceof StatefulSet s && s.getSpec().getUpdateStrategy() != null) {
            var strategy = s.getSpec().getUpdateStrategy();
            if ("OnDelete".equals(strategy.getType())) {
                return "StatefulSet " + s.getMetadata().getName() + " has updateStrategy OnDelete";
            }
            Integer partition = strategy.getRollingUpdate() == null ? null : strategy.getRollingUpdate().getPartition();
            int ordinal = ordinal(pod);
            if (partition != null && ordinal >= 0 && partition > ordinal) {
                return "StatefulSet " + s.getMetadata().getName() + " has rollingUpdate.partition " + partition
                        + ", above the pod's ordinal " + ordinal;
            }
        }
        return null;
    }

    /** A StatefulSet pod's ordinal: its {@code apps.kubernetes.io/pod-index} label, else its name's last number; -1 if neither. */
    private static int ordinal(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        String index = labels == null ? null : labels.get("apps.kubernetes.io/pod-index");
        String name = pod.getMetadata().getName();
        String text = index != null ? index : name.substring(name.lastIndexOf('-') + 1);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return -1;
        }
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

    private static boolean ownedBy(Pod pod, String controllerUid) {
        OwnerReference controller = Pods.controllerOf(pod);
        return controller != null && controllerUid.equals(controller.getUid());
    }

    private static int desiredOf(HasMetadata workload) {
        Integer replicas;
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

    /** The {@code kubectl.kubernetes.io/restartedAt} of the workload's pod template, or null. */
    private static String templateRestartedAt(HasMetadata workload) {
        PodTemplateSpec template = null;
        if (workload instanceof Deployment d) {
            template = d.getSpec().getTemplate();
        } else if (workload instanceof StatefulSet s) {
            template = s.getSpec().getTemplate();
        } else if (workload instanceof DaemonSet ds) {
            template = ds.getSpec().getTemplate();
        }
        return template == null || template.getMetadata() == null || template.getMetadata().getAnnotations() == null ? null
                : template.getMetadata().getAnnotations().get(Disruptor.ROLLOUT_RESTARTED_AT);
    }

    /** Reads each controller at most once per request; kinds it cannot read come back null. */
    private final class Lookups {
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
}
