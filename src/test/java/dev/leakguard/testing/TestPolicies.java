package dev.leakguard.testing;

import dev.leakguard.api.LeakPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;

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
}
