package dev.leakguard.act;

import dev.leakguard.text.BoundedText;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code leakguard.dev/*} annotations on pods with a JSON merge patch that touches only the
 * keys that changed; when nothing changed no request is sent, so the Pod informer is not fed back
 * with leakguard's own writes.
 */
public final class PodAnnotator {
    private final KubernetesClient client;

    public PodAnnotator(KubernetesClient client) {
        this.client = client;
    }

    /** @return the keys that were written (empty when the pod already had these values or is gone) */
    public Map<String, String> annotate(String namespace, String pod, Map<String, String> current, Map<String, String> wanted) {
        Map<String, String> changed = new LinkedHashMap<>();
        wanted.forEach((key, value) -> {
            String safe = BoundedText.bounded(value, 1024);
            if (current == null || !safe.equals(current.get(key))) {
                changed.put(key, safe);
            }
        });
        if (changed.isEmpty()) {
            return changed;
        }
        String patch = Serialization.asJson(Map.of("metadata", Map.of("annotations", changed)));
        // Patching through a named resource would first GET the pod; the merge patch needs only its name.
        Pod named = new PodBuilder().withNewMetadata().withNamespace(namespace).withName(pod).endMetadata().build();
        try {
            client.pods().inNamespace(namespace).resource(named).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                // The pod went away (evicted, scaled down) between the scrape and this write: nothing to annotate.
                return Map.of();
            }
            throw e;
        }
        return changed;
    }
}
