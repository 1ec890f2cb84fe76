package dev.leakguard.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;

public record PolicyKey(String namespace, String name) {
    public static PolicyKey of(HasMetadata policy) {
        return new PolicyKey(policy.getMetadata().getNamespace(), policy.getMetadata().getName());
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
