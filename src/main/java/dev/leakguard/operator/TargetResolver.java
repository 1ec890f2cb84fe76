package dev.leakguard.operator;

import dev.leakguard.engine.LimitSource;
import dev.leakguard.engine.MetricsPort;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.kube.Pods;
import dev.leakguard.kube.Refs;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.scrape.ScrapeUrls;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Turns (policy, pod) into a scrape target. The host is always the pod's {@code status.podIP}; the
 * policy only names a port and a path, so a policy can never point the operator at another host.
 */
public final class TargetResolver {
    private TargetResolver() {
    }

    /** A target, or why the pod cannot be scraped (yet). */
    public sealed interface Resolution permits Resolved, Unresolved {
    }

    public record Resolved(ScrapeTarget target) implements Resolution {
    }

    /** {@code portMissing}: the pod has no container port matching the policy, a spec problem rather than a transient one. */
    public record Unresolved(String reason, boolean portMissing) implements Resolution {
    }

    /** {@code access}: the policy's TLS and credentials as read for this reconcile; its scheme is the URLs'. */
    public static Resolution resolve(ResolvedPolicy policy, Pod pod, ScrapeAccess access) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return new Unresolved("pod is terminating", false);
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (!"Running".equals(phase)) {
            return new Unresolved("pod is " + (phase == null ? "pending" : phase) + ", not Running", false);
        }
        String podIp = pod.getStatus().getPodIP();
        if (podIp == null || podIp.isBlank()) {
            return new Unresolved("pod has no IP yet", false);
        }
        PortMatch match;
        try {
            match = findPort(pod, policy.port());
        } catch (NoPortException e) {
            return new Unresolved(e.getMessage(), true);
        }
        PortMatch profileMatch = null;
        if (policy.hasProfile()) {
            try {
                profileMatch = policy.profilePort().equals(policy.port()) ? match : findPort(pod, profilePortIn(policy.profilePort(), match));
            } catch (NoPortException e) {
                return new Unresolved("no container port " + policy.profilePort() + " (spec.profile.port) in pod", true);
            }
        }
        ContainerStatus status = Pods.longRunningContainerStatuses(pod).stream()
                .filter(s -> match.container().getName().equals(s.getName())).findFirst().orElse(null);
        Limit limit = Double.isNaN(policy.detection().memoryLimitBytes())
                ? memoryLimit(pod, match.container(), status)
                : new Limit(policy.detection().memoryLimitBytes(), LimitSource.POLICY);
        long startedMillis = -1;
        int restarts = -1;
        if (status != null) {
            restarts = status.getRestartCount() == null ? -1 : status.getRestartCount();
            if (status.getState() != null && status.getState().getRunning() != null
                    && status.getState().getRunning().getStartedAt() != null) {
                startedMillis = Instant.parse(status.getState().getRunning().getStartedAt()).toEpochMilli();
            }
        }
        try {
            URI metrics = ScrapeUrls.build(access.scheme(), podIp, match.port(), policy.metricsPath());
            URI profile = profileMatch == null ? null : ScrapeUrls.build(access.scheme(), podIp, profileMatch.port(), policy.profilePath());
            return new Resolved(new ScrapeTarget(Refs.podKey(pod), pod.getMetadata().getUid(), match.container().getName(),
                    metrics, profile, limit.bytes(), limit.source(), startedMillis, restarts, access,
                    Pods.workloadKey(pod)));
        } catch (IllegalArgumentException e) {
            return new Unresolved("cannot build scrape URL: " + e.getMessage(), false);
        }
    }

    /**
     * Whether two versions of a pod resolve alike under every policy: false as soon as anything {@link #resolve}
     * reads differs (deletion, phase, IP, the containers' names, ports and resources, their restart counts, start
     * times and reported resources, the default-container annotation, the controller that names the workload).
     * What the kubelet changes most often — readiness and other conditions, probe results, {@code lastState},
     * image IDs — and the annotations leakguard writes itself are not read, so they resolve alike. A pod kept as a
     * skeleton (no policy selected it) never resolves alike: whether a policy selects it now is for the caller.
     */
    static boolean resolvesAlike(Pod before, Pod after) {
        if (SlimPodStore.skeleton(before) || SlimPodStore.skeleton(after)) {
            return false;
        }
        return Objects.equals(before.getMetadata().getDeletionTimestamp(), after.getMetadata().getDeletionTimestamp())
                && Objects.equals(phase(before), phase(after))
                && Objects.equals(podIp(before), podIp(after))
                && Objects.equals(Pods.annotation(before, DEFAULT_CONTAINER_ANNOTATION), Pods.annotation(after, DEFAULT_CONTAINER_ANNOTATION))
                && Objects.equals(Pods.workloadKey(before), Pods.workloadKey(after))
                && SlimPodStore.watchedForm(before).getSpec().equals(SlimPodStore.watchedForm(after).getSpec())
                && containerFacts(before).equals(containerFacts(after));
    }

    /** What {@link #resolve} reads of a container's status. */
    private record ContainerFacts(String name, Integer restartCount, String startedAt, ResourceRequirements resources) {
    }

    private static List<ContainerFacts> containerFacts(Pod pod) {
        return Pods.longRunningContainerStatuses(pod).stream().map(s -> new ContainerFacts(s.getName(), s.getRestartCount(),
                s.getState() == null || s.getState().getRunning() == null ? null : s.getState().getRunning().getStartedAt(),
                s.getResources())).toList();
    }

    private static String phase(Pod pod) {
        return pod.getStatus() == null ? null : pod.getStatus().getPhase();
    }

    private static String podIp(Pod pod) {
        return pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    }

    private record PortMatch(Container container, int port) {
    }

    /** What of a policy and its access {@link #resolve} reads: under equal inputs, the same pod resolves alike. */
    private record Inputs(MetricsPort port, MetricsPort profilePort, String metricsPath, String profilePath, double memoryLimitBytes,
                          ScrapeAccess access) {
        static Inputs of(ResolvedPolicy policy, ScrapeAccess access) {
            return new Inputs(policy.port(), policy.hasProfile() ? policy.profilePort() : null, policy.metricsPath(),
                    policy.hasProfile() ? policy.profilePath() : null, policy.detection().memoryLimitBytes(), access);
        }
    }

    /**
     * The last resolution of each policy's pods, reused for a pod whose informer object is the one resolved
     * last time (the informer replaces a pod's object when the pod changes) under equal inputs. Every reconcile
     * resolves every selected pod, and between two of them nearly all are unchanged: parsing their start times
     * and building their URLs again was most of a reconcile's CPU in a fleet of thousands.
     */
    static final class Memo {
        private record Entry(Pod pod, Inputs inputs, Resolution resolution) {
        }

        private final Map<PolicyKey, Map<String, Entry>> byPolicy = new ConcurrentHashMap<>();

        /** Resolves {@code pods} for {@code policy}; remembers these pods' resolutions in place of the last ones. */
        List<Resolution> resolveAll(PolicyKey key, ResolvedPolicy policy, List<Pod> pods, ScrapeAccess access) {
            Inputs inputs = Inputs.of(policy, access);
            Map<String, Entry> last = byPolicy.getOrDefault(key, Map.of());
            Map<String, Entry> now = new HashMap<>(pods.size() * 2);
            List<Resolution> resolutions = new ArrayList<>(pods.size());
            for (Pod pod : pods) {
                String uid = pod.getMetadata().getUid();
                Entry entry = uid == null ? null : last.get(uid);
                if (entry == null || entry.pod() != pod || !entry.inputs().equals(inputs)) {
                    entry = new Entry(pod, inputs, resolve(policy, pod, access));
                }
                if (uid != null) {
                    now.put(uid, entry);
                }
                resolutions.add(entry.resolution());
            }
            byPolicy.put(key, now);
            return resolutions;
        }

        /**
         * The policies that resolved the pod at their last reconcile: those a change of the pod concerns even when
         * they no longer select it (a label removed), so that its loop stops at once rather than at the next refresh.
         */
        Set<PolicyKey> resolvedFor(String podUid) {
            Set<PolicyKey> out = new HashSet<>();
            byPolicy.forEach((key, pods) -> {
                if (pods.containsKey(podUid)) {
                    out.add(key);
                }
            });
            return out;
        }

        /** Drops what is kept for the policies that no longer exist. */
        void retainOnly(Predicate<PolicyKey> exists) {
            byPolicy.keySet().removeIf(exists.negate());
        }

        /** Drops what is kept for a policy that watches nothing. */
        void forget(PolicyKey key) {
            byPolicy.remove(key);
        }
    }

    /** Why no container of the pod serves the policy's port: a spec problem, not a transient one. */
    private static final class NoPortException extends Exception {
        NoPortException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The container serving {@code wanted}, searched among the containers and the native sidecars. A
     * declared port is found wherever it is; an undeclared number belongs to the container the policy
     * names, else to the one {@value #DEFAULT_CONTAINER_ANNOTATION} names (meshes that inject a proxy
     * set it), else to the pod's only container. Never blindly to the first: an injected mesh proxy
     * is often first, and its memory is not the application's.
     */
    private static PortMatch findPort(Pod pod, MetricsPort wanted) throws NoPortException {
        List<Container> candidates = Pods.longRunningContainers(pod);
        if (wanted.container() != null) {
            candidates = candidates.stream().filter(c -> wanted.container().equals(c.getName())).toList();
            if (candidates.isEmpty()) {
                throw new NoPortException("no container '" + wanted.container() + "' in pod (spec.metrics.container)");
            }
        }
        for (Container container : candidates) {
            for (ContainerPort port : listOrEmpty(container.getPorts())) {
                if (wanted.matches(port.getName(), port.getContainerPort())) {
                    return new PortMatch(container, port.getContainerPort());
                }
            }
        }
        if (wanted.byName()) {
            throw new NoPortException("no container port " + wanted + " in pod");
        }
        // A numeric port need not be declared: many pods expose metrics on an undeclared port.
        Container owner = undeclaredPortOwner(pod, candidates);
        if (owner == null) {
            throw new NoPortException("port " + wanted.number() + " is declared by no container and the pod has "
                    + candidates.size() + " containers; name one in spec.metrics.container");
        }
        return new PortMatch(owner, wanted.number());
    }

    /** An undeclared profile port number is the metrics container's; a named one is searched in every container. */
    private static MetricsPort profilePortIn(MetricsPort profilePort, PortMatch metrics) {
        return profilePort.byName() || profilePort.container() != null ? profilePort : profilePort.inContainer(metrics.container().getName());
    }

    /** Set by {@code kubectl} users and by meshes (Istio) to the application container's name. */
    static final String DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

    private static Container undeclaredPortOwner(Pod pod, List<Container> candidates) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        String named = Pods.annotation(pod, DEFAULT_CONTAINER_ANNOTATION);
        for (Container container : candidates) {
            if (container.getName().equals(named)) {
                return container;
            }
        }
        List<Container> regular = listOrEmpty(pod.getSpec().getContainers());
        return regular.size() == 1 && candidates.contains(regular.get(0)) ? regular.get(0) : null;
    }

    private record Limit(double bytes, LimitSource source) {
        static final Limit UNKNOWN = new Limit(Double.NaN, null);
    }

    /**
     * The memory limit the OOM killer enforces for {@code container}: the one the kubelet reports in
     * its status (which an in-place resize changes before the spec does), else the container's spec,
     * else the pod-level limit that all containers share.
     */
    private static Limit memoryLimit(Pod pod, Container container, ContainerStatus status) {
        double fromStatus = memory(status == null ? null : status.getResources());
        if (!Double.isNaN(fromStatus)) {
            return new Limit(fromStatus, LimitSource.CONTAINER_STATUS);
        }
        double fromSpec = memory(container.getResources());
        if (!Double.isNaN(fromSpec)) {
            return new Limit(fromSpec, LimitSource.CONTAINER_SPEC);
        }
        double fromPod = memory(pod.getSpec().getResources());
        return Double.isNaN(fromPod) ? Limit.UNKNOWN : new Limit(fromPod, LimitSource.POD_SPEC);
    }

    private static double memory(ResourceRequirements resources) {
        if (resources == null || resources.getLimits() == null) {
            return Double.NaN;
        }
        Quantity memory = resources.getLimits().get("memory");
        return memory == null ? Double.NaN : Quantity.getAmountInBytes(memory).doubleValue();
    }

    private static <T> List<T> listOrEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
