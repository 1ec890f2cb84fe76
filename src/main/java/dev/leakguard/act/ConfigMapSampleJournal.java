package dev.leakguard.act;

import dev.leakguard.engine.PolicyRef;
import dev.leakguard.engine.SampleJournal;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each policy's recent samples in one ConfigMap, {@code leakguard-samples-<policy>} in the
 * policy's namespace (with shards, one per shard: {@code leakguard-samples-<policy>-<i>-of-<N>}, written
 * only by the shard's holder, so that replicas never overwrite each other's pods), owned by the policy (deleting the policy deletes it) and labelled like the
 * evidence ConfigMaps. The archive is the ConfigMap's {@code binaryData} {@value #KEY}. A ConfigMap of
 * that name that the policy does not own is not read.
 */
public final class ConfigMapSampleJournal implements SampleJournal {
    private static final Logger log = LoggerFactory.getLogger(ConfigMapSampleJournal.class);
    public static final String LABEL = "leakguard.dev/samples";
    static final String KEY = "samples.bin.gz";

    private final KubernetesClient client;

    public ConfigMapSampleJournal(KubernetesClient client) {
        this.client = client;
    }

    /** {@code leakguard-samples-<policy>}, with the part (a shard) appended when there is one. */
    public static String nameFor(String policy, String part) {
        return ObjectNames.derivedName("leakguard-samples-", policy + part);
    }

    @Override
    public String load(PolicyRef policy, String part) {
        ConfigMap saved = client.configMaps().inNamespace(policy.namespace()).withName(nameFor(policy.name(), part)).get();
        if (saved == null) {
            return null;
        }
        boolean owned = saved.getMetadata().getOwnerReferences() != null && saved.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> policy.uid().equals(o.getUid()));
        Map<String, String> labels = saved.getMetadata().getLabels();
        if (!owned || labels == null || !"true".equals(labels.get(LABEL))) {
            log.warn("{}/{}: ConfigMap {} is not this policy's saved samples (owner or label {} missing); not read",
                    policy.namespace(), policy.name(), nameFor(policy.name(), part), LABEL);
            return null;
        }
        return saved.getBinaryData() == null ? null : saved.getBinaryData().get(KEY);
    }

    @Override
    public void save(PolicyRef policy, String part, String archive, int pods) {
        ConfigMap samples = new ConfigMapBuilder()
                .withNewMetadata()
                .withName(nameFor(policy.name(), part))
                .withNamespace(policy.namespace())
                .withLabels(Map.of(LABEL, "true", EvidenceStore.POLICY_LABEL, EvidenceStore.policyLabel(policy.name())))
                .withOwnerReferences(PolicyOwnership.ownerReference(policy))
                .endMetadata()
                .withData(Map.of("pods", String.valueOf(pods)))
                .withBinaryData(Map.of(KEY, archive))
                .build();
        client.configMaps().inNamespace(policy.namespace()).resource(samples).createOr(existing -> existing.update());
    }
}
