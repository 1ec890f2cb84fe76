package dev.leakguard.act;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.leakguard.engine.AnnotationSink;
import dev.leakguard.engine.PodKey;
import dev.leakguard.kube.Pods;
import dev.leakguard.text.BoundedText;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The only code that changes pods and workloads: annotations, evictions, rollout restarts. Every
 * write is one request that touches only what it means to change (a merge patch of the keys that
 * differ, a JSON patch that removes one key), and nothing is sent when nothing would change, so the
 * Pod informer is not fed back with leakguard's own writes.
 */
public final class Disruptor implements AnnotationSink {
    /** The pod-template annotation {@code kubectl rollout restart} writes. */
    public static final String ROLLOUT_RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
    /** Annotation values leakguard writes are bounded: they come from scraped text. */
    private static final int MAX_ANNOTATION_BYTES = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    /** The client's own HTTP client (same authentication and TLS) without its retries, for evictions. */
    private final HttpClient noRetries;

    public Disruptor(KubernetesClient client) {
        this.client = client;
        this.noRetries = client.getHttpClient().newBuilder()
                .tag(new RequestConfigBuilder().withRequestRetryBackoffLimit(0).build()).build();
    }

    /** @return the keys that were written (empty when the pod already had these values or is gone) */
    @Override
    public Map<String, String> annotate(PodKey pod, Map<String, String> current, Map<String, String> wanted) {
        Map<String, String> changed = new LinkedHashMap<>();
        wanted.forEach((key, value) -> {
            String safe = BoundedText.bounded(value, MAX_ANNOTATION_BYTES);
            if (current == null || !safe.equals(current.get(key))) {
                changed.put(key, safe);
            }
        });
        if (changed.isEmpty()) {
            return changed;
        }
        try {
            mergeAnnotations(pod.namespace(), pod.name(), changed);
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                // The pod went away (evicted, scaled down) between the scrape and this write: nothing to annotate.
                return Map.of();
            }
            throw e;
        }
        return changed;
    }

    /** Sets one annotation on the pod, whatever it had. */
    void mark(String namespace, String pod, String key, String value) {
        mergeAnnotations(namespace, pod, Map.of(key, value));
    }

    /** Removes one annotation from the pod if it carries it; a pod that is gone needs nothing. */
    void unmark(String namespace, String pod, String key) {
        Pod current = client.pods().inNamespace(namespace).withName(pod).get();
        if (current == null || Pods.annotation(current, key) == null) {
            return;
        }
        ArrayNode patch = JSON.createArrayNode();
        patch.addObject().put("op", "remove").put("path", "/metadata/annotations/" + key.replace("~", "~0").replace("/", "~1"));
        client.pods().inNamespace(namespace).withName(pod).patch(PatchContext.of(PatchType.JSON), patch.toString());
    }

    /**
     * A policy/v1 Eviction, so PodDisruptionBudgets and the grace period apply. Sent as one request whose
     * answer is read here: fabric8's {@code evict()} turns every 429 into false (a budget and a throttled
     * server look the same) and would retry a 429 by itself; the restart door backs off on its own clock.
     *
     * @return empty when the pod is being evicted, else why the server refused ({@link EvictionRefusal})
     * @throws KubernetesClientException for every other answer (404 when the pod is gone) and when no
     *         answer came: then the eviction may or may not have happened
     */
    Optional<EvictionRefusal> evict(String namespace, String pod) {
        Eviction eviction = new EvictionBuilder().withNewMetadata().withName(pod).withNamespace(namespace).endMetadata().build();
        HttpResponse<String> answer;
        try {
            URI uri = client.getMasterUrl().toURI().resolve("api/v1/namespaces/" + namespace + "/pods/" + pod + "/eviction");
            HttpRequest request = noRetries.newHttpRequestBuilder().uri(uri)
                    .timeout(client.getConfiguration().getRequestTimeout(), TimeUnit.MILLISECONDS)
                    .post("application/json", Serialization.asJson(eviction)).build();
            answer = noRetries.sendAsync(request, String.class).get();
        } catch (URISyntaxException e) {
            throw new KubernetesClientException("cannot build the eviction URL: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KubernetesClientException("interrupted while evicting pod " + namespace + "/" + pod, e);
        } catch (ExecutionException e) {
            throw new KubernetesClientException("no answer to the eviction of pod " + namespace + "/" + pod + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
        if (answer.isSuccessful()) {
            return Optional.empty();
        }
        Optional<EvictionRefusal> refusal = EvictionRefusal.of(answer.code(), answer.body(), answer.header("Retry-After"));
        if (refusal.isPresent()) {
            return refusal;
        }
        Status status = EvictionRefusal.parse(answer.body());
        throw new KubernetesClientException(status != null ? status : new StatusBuilder().withCode(answer.code())
                .withMessage(BoundedText.bounded(String.valueOf(answer.body()), 512)).build());
    }

    /** What {@code kubectl rollout restart} does: stamp the pod template, so the controller rolls every pod. */
    void rolloutRestart(HasMetadata workload, String restartedAt) {
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("spec").putObject("template").putObject("metadata").putObject("annotations")
                .put(ROLLOUT_RESTARTED_AT, restartedAt);
        client.resource(workload).patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    }

    private void mergeAnnotations(String namespace, String pod, Map<String, String> annotations) {
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode target = patch.putObject("metadata").putObject("annotations");
        annotations.forEach(target::put);
        // Patching through a named resource would first GET the pod; the merge patch needs only its name.
        Pod named = new PodBuilder().withNewMetadata().withNamespace(namespace).withName(pod).endMetadata().build();
        client.pods().inNamespace(namespace).resource(named).patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    }
}
