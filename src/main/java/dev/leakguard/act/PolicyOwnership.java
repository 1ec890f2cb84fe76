package dev.leakguard.act;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.engine.PolicyRef;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/** The owner reference that makes an object leakguard keeps for a policy go when the policy is deleted. */
final class PolicyOwnership {
    private PolicyOwnership() {
    }

    static OwnerReference ownerReference(PolicyRef policy) {
        return new OwnerReferenceBuilder().withApiVersion(HasMetadata.getApiVersion(LeakPolicy.class))
                .withKind(HasMetadata.getKind(LeakPolicy.class)).withName(policy.name()).withUid(policy.uid()).build();
    }
}
