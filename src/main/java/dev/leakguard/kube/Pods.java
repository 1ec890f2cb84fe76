package dev.leakguard.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reading Kubernetes objects the way Kubernetes itself does: a pod's Ready condition and phase,
 * deletion, the controller owner, annotations.
 */
public final class Pods {
    private Pods() {
    }

    /** Condition Ready=True, as Services and PodDisruptionBudgets count it. */
    public static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    public static boolean running(Pod pod) {
        return pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
    }

    public static boolean terminating(HasMetadata object) {
        return object.getMetadata().getDeletionTimestamp() != null;
    }

    /** Ready and not being deleted: a pod that serves and will keep serving. */
    public static boolean healthy(Pod pod) {
        return ready(pod) && !terminating(pod);
    }

    /** The owner reference with {@code controller: true}, or null. */
    public static OwnerReference controllerOf(HasMetadata object) {
        ObjectMeta meta = object.getMetadata();
        if (meta.getOwnerReferences() == null) {
            return null;
        }
        return meta.getOwnerReferences().stream()
                .filter(o -> Boolean.TRUE.equals(o.getController()))
                .findFirst()
                .orElse(null);
    }

    /**
     * The workload the pod belongs to, "Kind/name", without reading its controller: a ReplicaSet whose
     * name is a prefix plus the pod's {@code pod-template-hash} was made by the Deployment of that prefix
     * (the Deployment controller names them so), so its pods belong to that Deployment. Null without a controller.
     */
    public static String workloadKey(Pod pod) {
        OwnerReference controller = controllerOf(pod);
        if (controller == null) {
            return null;
        }
        Map<String, String> labels = pod.getMetadata().getLabels();
        String hash = labels == null ? null : labels.get("pod-template-hash");
        String name = controller.getName();
        if ("ReplicaSet".equals(controller.getKind()) && hash != null && name.endsWith("-" + hash)) {
            return "Deployment/" + name.substring(0, name.length() - hash.length() - 1);
        }
        return controller.getKind() + "/" + name;
    }

    /**
     * The containers that run for the pod's whole life: {@code spec.containers}, then the native
     * sidecars ({@code spec.initContainers} with {@code restartPolicy: Always}, such as a mesh proxy).
     */
    public static List<Container> longRunningContainers(Pod pod) {
        List<Container> out = new ArrayList<>(listOrEmpty(pod.getSpec() == null ? null : pod.getSpec().getContainers()));
        out.addAll(nativeSidecars(pod));
        return out;
    }

    /** The statuses of {@link #longRunningContainers}: those of the containers, then of the native sidecars. */
    public static List<ContainerStatus> longRunningContainerStatuses(Pod pod) {
        if (pod.getStatus() == null) {
            return List.of();
        }
        List<ContainerStatus> out = new ArrayList<>(listOrEmpty(pod.getStatus().getContainerStatuses()));
        Set<String> sidecars = nativeSidecars(pod).stream().map(Container::getName).collect(Collectors.toSet());
        listOrEmpty(pod.getStatus().getInitContainerStatuses()).stream().filter(s -> sidecars.contains(s.getName())).forEach(out::add);
        return out;
    }

    private static List<Container> nativeSidecars(Pod pod) {
        return listOrEmpty(pod.getSpec() == null ? null : pod.getSpec().getInitContainers()).stream()
                .filter(c -> "Always".equals(c.getRestartPolicy())).toList();
    }

    private static <T> List<T> listOrEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    public static String annotation(HasMetadata object, String key) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }
}
