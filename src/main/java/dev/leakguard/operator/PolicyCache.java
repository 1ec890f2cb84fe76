package dev.leakguard.operator;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.kube.Refs;
import dev.leakguard.kube.Selectors;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.stream.Stream;

/**
 * The LeakPolicies the controller's informer holds, for the parts that ask about them outside a
 * reconcile: whether a policy still exists (the scrape loops), which policies select a pod (the pod
 * informer's mapping and the OOM-kill tracker). JOSDK hands its cache over only when it prepares
 * the event sources, after everything is built; until then no policy is known to be gone and none
 * selects a pod.
 */
final class PolicyCache {
    private volatile IndexedResourceCache<LeakPolicy> cache;

    void use(IndexedResourceCache<LeakPolicy> primaryCache) {
        this.cache = primaryCache;
    }

    boolean exists(PolicyKey key) {
        IndexedResourceCache<LeakPolicy> current = cache;
        return current == null || current.get(new ResourceID(key.name(), key.namespace())).isPresent();
    }

    /** Every policy known. */
    Stream<PolicyKey> keys() {
        IndexedResourceCache<LeakPolicy> current = cache;
        return current == null ? Stream.empty()
                : current.list().map(Refs::policyKey);
    }

    /** The policies of the pod's namespace whose selector matches it. */
    Stream<LeakPolicy> selecting(HasMetadata pod) {
        IndexedResourceCache<LeakPolicy> current = cache;
        if (current == null) {
            return Stream.empty();
        }
        return current.list(pod.getMetadata().getNamespace(), policy -> policy.getSpec() != null
                && Selectors.of(policy.getSpec().getSelector()).selectsPolicyPods(pod.getMetadata().getLabels()));
    }
}
