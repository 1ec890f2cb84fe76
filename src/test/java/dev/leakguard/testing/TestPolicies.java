package dev.leakguard.testing;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.PodRisk;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;

/** LeakPolicies written the way users write them: YAML. */
public final class TestPolicies {
    private TestPolicies() {
    }

    /** The LeakPolicy {@code namespace/name} whose spec is {@code specYaml} (unindented YAML). */
    public static LeakPolicy fromSpec(String namespace, String name, String specYaml) {
        String yaml = "apiVersion: leakguard.dev/v1alpha1\nkind: LeakPolicy\nmetadata: {name: " + name + ", namespace: " + namespace
                + "}\nspec:\n" + specYaml.indent(2);
        return Serialization.unmarshal(yaml, LeakPolicy.class);
    }

    /** The policy's status entry for {@code pod} among its riskiest pods, or null while there is none. */
    public static PodRisk riskiestPod(KubernetesClient client, String namespace, String policy, String pod) {
        LeakPolicy current = client.resources(LeakPolicy.class).inNamespace(namespace).withName(policy).get();
        if (current == null || current.getStatus() == null || current.getStatus().getRiskiestPods() == null) {
            return null;
        }
        return current.getStatus().getRiskiestPods().stream().filter(r -> pod.equals(r.getPod())).findFirst().orElse(null);
    }

    /** Waits until the policy's status shows {@code pod} as unknown for {@code reason} (on a loaded machine a scrape may first time out). */
    public static PodRisk awaitUnknown(KubernetesClient client, String namespace, String policy, String pod, String reason) {
        return Poll.until(Duration.ofSeconds(30), () -> riskiestPod(client, namespace, policy, pod),
                r -> r != null && "unknown".equals(r.getVerdict()) && r.getMessage() != null && r.getMessage().contains(reason),
                pod + " unknown because " + reason);
    }
}
