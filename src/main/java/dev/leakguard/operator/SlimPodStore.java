package dev.leakguard.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.informers.impl.cache.CacheImpl;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The pod informer's store. The informer sees every pod of the watched namespaces — in both
 * replicas — and leakguard reads only the few its policies select, so it keeps:
 * <ul>
 *   <li>of a pod some policy selects, what leakguard reads: metadata without managedFields, each
 *       container's name, ports and resources (native sidecars too), the pod-level resources, status;</li>
 *   <li>of any other pod, a skeleton: name, namespace, uid, resourceVersion and labels (enough to
 *       notice when a policy starts selecting it), with label strings shared between pods.</li>
 * </ul>
 * A skeleton that a new or changed policy selects is read once from the API server
 * ({@link #complete}) and kept whole from then on. Handlers still receive the informer's full new
 * object; only what stays in memory is trimmed.
 */
public final class SlimPodStore implements ItemStore<Pod> {
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    private final Map<String, String> strings = new ConcurrentHashMap<>();
    private final Predicate<Pod> watched;

    /** {@code watched}: whether some policy selects the pod. */
    public SlimPodStore(Predicate<Pod> watched) {
        this.watched = watched;
    }

    @Override
    public String getKey(Pod pod) {
        return CacheImpl.metaNamespaceKeyFunc(pod);
    }

    @Override
    public Pod put(String key, Pod pod) {
        return pods.put(key, trimmed(pod));
    }

    @Override
    public Pod remove(String key) {
        return pods.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return pods.keySet().stream();
    }

    @Override
    public Stream<Pod> values() {
        return pods.values().stream();
    }

    @Override
    public int size() {
        return pods.size();
    }

    @Override
    public Pod get(String key) {
        return pods.get(key);
    }

    /** Whether this is a skeleton: a pod kept while no policy selected it. */
    static boolean skeleton(Pod pod) {
        return pod.getSpec() == null;
    }

    /**
     * {@code pod} as leakguard reads it: itself, or for a skeleton the pod read from the API server
     * (then kept whole, unless the informer stored a newer version meanwhile); null when it is gone.
     */
    Pod complete(Pod pod, KubernetesClient client) {
        if (!skeleton(pod)) {
            return pod;
        }
        Pod read = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
        if (read == null) {
            return null;
        }
        Pod kept = trimmed(read);
        pods.computeIfPresent(getKey(read), (key, current) -> skeleton(current) ? kept : current);
        return kept;
    }

    private Pod trimmed(Pod pod) {
        return watched.test(pod) ? watchedForm(pod) : skeletonOf(pod);
    }

    /** What leakguard reads of a watched pod; the rest (managedFields, env, volumes, probes, …) is dropped. */
    static Pod watchedForm(Pod pod) {
        ObjectMeta meta = pod.getMetadata();
        ObjectMeta kept = identity(meta, meta.getNamespace());
        kept.setCreationTimestamp(meta.getCreationTimestamp());
        kept.setLabels(meta.getLabels());
        kept.setAnnotations(meta.getAnnotations());
        kept.setOwnerReferences(meta.getOwnerReferences());
        Pod out = new Pod();
        out.setMetadata(kept);
        PodSpec spec = pod.getSpec() == null ? new PodSpec() : pod.getSpec();
        PodSpec keptSpec = new PodSpec();
        keptSpec.setContainers(spec.getContainers() == null ? List.of() : spec.getContainers().stream().map(SlimPodStore::container).toList());
        keptSpec.setInitContainers(spec.getInitContainers() == null ? List.of()
                : spec.getInitContainers().stream().map(SlimPodStore::container).toList());
        keptSpec.setResources(spec.getResources());
        out.setSpec(keptSpec);
        out.setStatus(pod.getStatus());
        return out;
    }

    private static Container container(Container container) {
        return new ContainerBuilder().withName(container.getName()).withPorts(container.getPorts())
                .withResources(container.getResources()).withRestartPolicy(container.getRestartPolicy()).build();
    }

    /** Name, namespace, uid, resourceVersion and labels, sharing equal strings with other skeletons. */
    private Pod skeletonOf(Pod pod) {
        ObjectMeta meta = pod.getMetadata();
        ObjectMeta kept = identity(meta, shared(meta.getNamespace()));
        kept.setLabels(sharedLabels(meta.getLabels()));
        // fabric8's models start with empty mutable collections; the shared immutable empties cost nothing per pod.
        kept.setAnnotations(Map.of());
        kept.setFinalizers(List.of());
        kept.setManagedFields(List.of());
        kept.setOwnerReferences(List.of());
        kept.setAdditionalProperties(Map.of());
        Pod out = new Pod();
        out.setMetadata(kept);
        out.setAdditionalProperties(Map.of());
        return out;
    }

    /** What the informer and JOSDK compare and key by: name, namespace, uid, resourceVersion, deletion. */
    private static ObjectMeta identity(ObjectMeta meta, String namespace) {
        ObjectMeta kept = new ObjectMeta();
        kept.setName(meta.getName());
        kept.setNamespace(namespace);
        kept.setUid(meta.getUid());
        kept.setResourceVersion(meta.getResourceVersion());
        kept.setDeletionTimestamp(meta.getDeletionTimestamp());
        return kept;
    }

    private Map<String, String> sharedLabels(Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        Map.Entry<String, String>[] entries = labels.entrySet().stream()
                .map(e -> Map.entry(shared(e.getKey()), shared(e.getValue()))).toArray(Map.Entry[]::new);
        return Map.ofEntries(entries);
    }

    /**
     * Label keys and values repeat across pods (app names, template hashes): one copy of each. The
     * table forgets everything when it outgrows the pods (values of pods long deleted), so churn
     * cannot grow it; skeletons keep the strings they already share.
     */
    private String shared(String value) {
        if (value == null) {
            return null;
        }
        if (strings.size() > 4 * pods.size() + 1024) {
            strings.clear();
        }
        return strings.computeIfAbsent(value, v -> v);
    }
}
