package dev.leakguard.act;

import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PolicyRef;
import dev.leakguard.text.BoundedText;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Keeps what a restart would destroy: the pod's profile and last metrics, in a ConfigMap named
 * {@code leakguard-evidence-<pod>} owned by the LeakPolicy (deleting the policy deletes its
 * evidence). Contents are gzip-compressed {@code binaryData}, cut to stay under Kubernetes' 1 MiB
 * object limit; at most {@link #MAX_PER_POLICY} are kept per policy, oldest removed first.
 */
public final class EvidenceStore {
    public static final String LABEL = "leakguard.dev/evidence";
    public static final String POLICY_LABEL = "leakguard.dev/policy";
    public static final String CAPTURED_AT = "leakguard.dev/captured-at";
    public static final int MAX_PER_POLICY = 20;
    /** Room left under the 1 MiB object limit for metadata and base64 growth (4/3). */
    static final int MAX_COMPRESSED_BYTES = 700 * 1024;

    private final KubernetesClient client;

    public EvidenceStore(KubernetesClient client) {
        this.client = client;
    }

    public static String nameFor(String pod) {
        return ObjectNames.derivedName("leakguard-evidence-", pod);
    }

    /** The value of {@link #POLICY_LABEL} for a policy: its name, made to fit a label value. */
    public static String policyLabel(String policy) {
        return ObjectNames.labelValue(policy);
    }

    /** Writes (or replaces) the pod's evidence and returns the ConfigMap's name; {@code profile} and {@code metrics} may be null. */
    public String store(PolicyRef policy, PodKey pod, String podUid, Instant capturedAt, String summary, byte[] profile,
                        int profileLength, byte[] metrics, int metricsLength) {
        String namespace = pod.namespace();
        Map<String, String> binary = new LinkedHashMap<>();
        int budget = MAX_COMPRESSED_BYTES;
        if (metrics != null) {
            byte[] gz = gzipWithin(metrics, metricsLength, budget / 4);
            binary.put("metrics.txt.gz", Base64.getEncoder().encodeToString(gz));
            budget -= gz.length;
        }
        if (profile != null) {
            binary.put("profile.txt.gz", Base64.getEncoder().encodeToString(gzipWithin(profile, profileLength, budget)));
        }
        ConfigMap evidence = new ConfigMapBuilder()
                .withNewMetadata()
                .withName(nameFor(pod.name()))
                .withNamespace(namespace)
                .withLabels(Map.of(LABEL, "true", POLICY_LABEL, policyLabel(policy.name())))
                .withAnnotations(Map.of(CAPTURED_AT, capturedAt.toString(), "leakguard.dev/pod-uid", String.valueOf(podUid)))
                .withOwnerReferences(PolicyOwnership.ownerReference(policy))
                .endMetadata()
                .withData(Map.of("summary.txt", BoundedText.bounded(summary, 16 * 1024), "pod", pod.name()))
                .withBinaryData(binary)
                .build();
        client.configMaps().inNamespace(namespace).resource(evidence).createOr(existing -> existing.update());
        pruneOldest(namespace, policy.name());
        return evidence.getMetadata().getName();
    }

    private void pruneOldest(String namespace, String policy) {
        List<ConfigMap> kept = client.configMaps().inNamespace(namespace).withLabel(POLICY_LABEL, policyLabel(policy)).withLabel(LABEL, "true")
                .list().getItems();
        if (kept.size() <= MAX_PER_POLICY) {
            return;
        }
        kept.stream()
                .sorted(Comparator.comparing(cm -> cm.getMetadata().getAnnotations() == null ? ""
                        : cm.getMetadata().getAnnotations().getOrDefault(CAPTURED_AT, "")))
                .limit(kept.size() - MAX_PER_POLICY)
                .forEach(old -> client.configMaps().inNamespace(namespace).withName(old.getMetadata().getName()).delete());
    }

    /** Gzip, and when the result is still too big keep the head of the text (where the biggest groups are) and say so. */
    static byte[] gzipWithin(byte[] data, int length, int maxCompressed) {
        int keep = length;
        while (true) {
            byte[] gz = gzip(data, keep, keep < length ? "\n[leakguard: cut after " + keep + " of " + length + " bytes to fit a ConfigMap]\n" : "");
            if (gz.length <= maxCompressed || keep < 1024) {
                return gz;
            }
            keep = (int) (keep * Math.max(0.1, 0.9 * maxCompressed / (double) gz.length));
        }
    }

    private static byte[] gzip(byte[] data, int length, String trailer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(64, length / 4));
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data, 0, length);
            out.write(trailer.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
