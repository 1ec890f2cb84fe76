package dev.leakguard.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;

public record PodKey(String namespace, String name) {
    public static PodKey of(HasMetadata pod) {
        return new PodKey(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
