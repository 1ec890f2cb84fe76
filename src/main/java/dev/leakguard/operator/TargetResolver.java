package dev.leakguard.operator;

import dev.leakguard.engine.MetricsPort;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.kube.Pods;
import dev.leakguard.kube.Refs;
import dev.leakguard.scrape.ScrapeUrls;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.net.URI;
import java.time.Instant;
import java.util.List;

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

    public static Resolution resolve(ResolvedPolicy policy, Pod pod) {
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
        PortMatch match = findPort(pod.getSpec().getContainers(), policy.port());
        if (match == null) {
            return new Unresolved("no container port " + policy.port() + " in pod", true);
        }
        double limit = policy.detection().memoryLimitBytes();
        if (Double.isNaN(limit)) {
            limit = containerLimit(match.container());
        }
        long startedMillis = -1;
        int restarts = -1;
        for (ContainerStatus status : listOrEmpty(pod.getStatus().getContainerStatuses())) {
            if (match.container().getName().equals(status.getName())) {
                restarts = status.getRestartCount() == null ? -1 : status.getRestartCount();
                if (status.getState() != null && status.getState().getRunning() != null
                        && status.getState().getRunning().getStartedAt() != null) {
                    startedMillis = Instant.parse(status.getState().getRunning().getStartedAt()).toEpochMilli();
                }
            }
        }
        try {
            URI metrics = ScrapeUrls.build(podIp, match.port(), policy.metricsPath());
            URI profile = policy.hasProfile() ? ScrapeUrls.build(podIp, match.port(), policy.profilePath()) : null;
            return new Resolved(new ScrapeTarget(Refs.podKey(pod), pod.getMetadata().getUid(), match.container().getName(),
                    metrics, profile, limit, startedMillis, restarts, Pods.workloadKey(pod)));
        } catch (IllegalArgumentException e) {
            return new Unresolved("cannot build scrape URL: " + e.getMessage(), false);
        }
    }

    private record PortMatch(Container container, int port) {
    }

    private static PortMatch findPort(List<Container> containers, MetricsPort wanted) {
        for (Container container : listOrEmpty(containers)) {
            for (ContainerPort port : listOrEmpty(container.getPorts())) {
                if (wanted.matches(port.getName(), port.getContainerPort())) {
                    return new PortMatch(container, port.getContainerPort());
                }
            }
        }
        // A numeric port need not be declared: many pods expose metrics on an undeclared port.
        if (!wanted.byName() && !listOrEmpty(containers).isEmpty()) {
            return new PortMatch(containers.get(0), wanted.number());
        }
        return null;
    }

    private static double containerLimit(Container container) {
        if (container.getResources() == null || container.getResources().getLimits() == null) {
            return Double.NaN;
        }
        Quantity memory = container.getResources().getLimits().get("memory");
        return memory == null ? Double.NaN : Quantity.getAmountInBytes(memory).doubleValue();
    }

    private static <T> List<T> listOrEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
