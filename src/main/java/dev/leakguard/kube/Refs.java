package dev.leakguard.kube;

import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.engine.PolicyRef;
import io.fabric8.kubernetes.api.model.HasMetadata;

/** The engine's plain references to Kubernetes objects. */
public final class Refs {
    private Refs() {
    }

    public static PodKey podKey(HasMetadata pod) {
        return new PodKey(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
    }

    public static PolicyKey policyKey(HasMetadata policy) {
        return new PolicyKey(policy.getMetadata().getNamespace(), policy.getMetadata().getName());
    }

    public static PolicyRef policyRef(HasMetadata policy) {
        return new PolicyRef(policy.getMetadata().getNamespace(), policy.getMetadata().getName(), policy.getMetadata().getUid());
    }
}
