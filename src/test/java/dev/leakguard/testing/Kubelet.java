package dev.leakguard.testing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What a kubelet would write on a pod, for a control plane that has none: the test decides which loopback
 * address "is" the pod and when its containers started, and writes that into the pod's status through the
 * real status subresource, so the API server validates it like a kubelet's update.
 */
public final class Kubelet {
    /** Pod addresses 127.0.x.y (x ≥ 2: other tests use 127.0.0.*) handed out over the whole run, never twice. */
    private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(2 * 250);

    private final KubernetesClient admin;

    /** Starts what serves a pod at its address (the container's endpoints); closed when the pod is gone. */
    @FunctionalInterface
    public interface Containers {
        AutoCloseable start(Pod pod, InetAddress podIp) throws Exception;
    }

    public Kubelet(KubernetesClient admin) {
        this.admin = admin;
    }

    /** Marks the pod Running and Ready at {@code podIp}, every container started at {@code startedAt}. */
    public Pod run(String namespace, String name, String podIp, Instant startedAt) {
        return admin.pods().inNamespace(namespace).withName(name).editStatus(pod -> {
            String time = startedAt.toString();
            List<ContainerStatus> statuses = new ArrayList<>();
            for (Container container : pod.getSpec().getContainers()) {
                statuses.add(runningStatus(namespace, name, container, time));
            }
            pod.getStatus().setPhase("Running");
            pod.getStatus().setPodIP(podIp);
            pod.getStatus().setPodIPs(List.of(new PodIP(podIp)));
            pod.getStatus().setHostIP("127.0.0.1");
            pod.getStatus().setStartTime(time);
            pod.getStatus().setContainerStatuses(statuses);
            // Native sidecars (init containers with restartPolicy Always) keep running; the kubelet reports them among the init containers.
            pod.getStatus().setInitContainerStatuses(pod.getSpec().getInitContainers().stream()
                    .filter(init -> "Always".equals(init.getRestartPolicy())).map(init -> runningStatus(namespace, name, init, time)).toList());
            pod.getStatus().setConditions(List.of(condition("PodScheduled", time), condition("Initialized", time),
                    condition("ContainersReady", time), condition("Ready", time)));
            return pod;
        });
    }

    private static ContainerStatus runningStatus(String namespace, String pod, Container container, String startedAt) {
        return new ContainerStatusBuilder().withName(container.getName()).withImage(container.getImage())
                .withImageID("docker.io/" + container.getImage() + "@sha256:" + "0".repeat(64))
                .withContainerID("containerd://" + Integer.toHexString((namespace + pod + container.getName()).hashCode()))
                .withReady(true).withStarted(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(startedAt).endRunning().endState()
                .build();
    }

    /** The container was OOM-killed and restarted at {@code restartedAt}, as the kubelet reports it. */
    public Pod oomKill(String namespace, String name, String container, Instant restartedAt) {
        return admin.pods().inNamespace(namespace).withName(name).editStatus(pod -> {
            for (ContainerStatus status : pod.getStatus().getContainerStatuses()) {
                if (status.getName().equals(container)) {
                    String started = status.getState().getRunning() == null ? restartedAt.toString()
                            : status.getState().getRunning().getStartedAt();
                    status.setLastState(new io.fabric8.kubernetes.api.model.ContainerStateBuilder().withNewTerminated()
                            .withReason("OOMKilled").withExitCode(137).withStartedAt(started)
                            .withFinishedAt(restartedAt.toString()).endTerminated().build());
                    status.setRestartCount(status.getRestartCount() + 1);
                    status.getState().getRunning().setStartedAt(restartedAt.toString());
                }
            }
            return pod;
        });
    }

    /**
     * Plays the kubelet for every pod matching {@code labels} in {@code namespace}, now and later (replacements a
     * controller creates after an eviction): gives each new pod its own loopback address, starts its containers
     * there, marks it Running and Ready, and stops the containers when the pod is deleted.
     */
    public AutoCloseable serve(String namespace, Map<String, String> labels, Containers containers) {
        return serve(namespace, labels, containers, Instant::now);
    }

    /** As {@link #serve(String, Map, Containers)}, with container start times read from {@code clock} (e.g. the operator's compressed clock). */
    public AutoCloseable serve(String namespace, Map<String, String> labels, Containers containers, Supplier<Instant> clock) {
        Map<String, AutoCloseable> running = new ConcurrentHashMap<>();
        SharedIndexInformer<Pod> informer = admin.pods().inNamespace(namespace).withLabels(labels).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                start(pod);
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                start(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                closeQuietly(running.remove(pod.getMetadata().getUid()));
            }

            private void start(Pod pod) {
                String uid = pod.getMetadata().getUid();
                if (pod.getMetadata().getDeletionTimestamp() != null || running.containsKey(uid)) {
                    return;
                }
                try {
                    InetAddress ip = nextAddress();
                    running.put(uid, containers.start(pod, ip));
                    run(namespace, pod.getMetadata().getName(), ip.getHostAddress(), clock.get());
                } catch (Exception e) {
                    throw new IllegalStateException("could not start pod " + namespace + "/" + pod.getMetadata().getName(), e);
                }
            }
        });
        return () -> {
            informer.close();
            running.values().forEach(Kubelet::closeQuietly);
        };
    }

    /** A loopback address no other pod of this run has had (Linux routes all of 127.0.0.0/8 to lo). */
    public static InetAddress nextAddress() {
        int n = NEXT_ADDRESS.getAndIncrement();
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, (byte) (n / 250), (byte) (2 + n % 250)});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            // A container that fails to stop only leaks a loopback port until the run ends.
        }
    }

    private static PodCondition condition(String type, String time) {
        return new PodConditionBuilder().withType(type).withStatus("True").withLastTransitionTime(time).build();
    }
}
