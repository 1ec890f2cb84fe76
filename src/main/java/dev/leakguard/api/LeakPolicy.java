package dev.leakguard.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Selects pods, watches their memory for leaks, and says what to do before the OOM killer acts.
 * The generated CRD is committed at {@code crds/leakpolicies.leakguard.dev-v1.yml}.
 */
@Group(LeakPolicy.GROUP)
@Version(LeakPolicy.VERSION)
@Plural("leakpolicies")
@Singular("leakpolicy")
@ShortNames("lp")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class LeakPolicy extends CustomResource<LeakPolicySpec, LeakPolicyStatus> implements Namespaced {
    public static final String GROUP = "leakguard.dev";
    public static final String VERSION = "v1alpha1";

    @Override
    protected LeakPolicySpec initSpec() {
        return new LeakPolicySpec();
    }

    /** No status until the operator writes one: an empty default would make status patches refer to fields the server lacks. */
    @Override
    protected LeakPolicyStatus initStatus() {
        return null;
    }
}
