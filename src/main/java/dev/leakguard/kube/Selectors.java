package dev.leakguard.kube;

import dev.leakguard.decide.PodSelector;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import java.util.List;
import java.util.Map;

/** The client's {@link LabelSelector} to and from the core's {@link PodSelector}. */
public final class Selectors {
    private Selectors() {
    }

    /** An absent selector becomes the empty one; whether that means "all" or "none" is the reader's rule. */
    public static PodSelector of(LabelSelector selector) {
        if (selector == null) {
            return PodSelector.labels(Map.of());
        }
        List<PodSelector.Requirement> expressions = selector.getMatchExpressions() == null ? List.of()
                : selector.getMatchExpressions().stream()
                .map(r -> new PodSelector.Requirement(r.getKey(), r.getOperator(), r.getValues()))
                .toList();
        return new PodSelector(selector.getMatchLabels(), expressions);
    }

    /**
     * As Kubernetes reads the selector of a workload or PodDisruptionBudget: an empty one matches
     * every pod, a missing one matches none.
     */
    public static boolean matches(LabelSelector selector, Map<String, String> labels) {
        return selector != null && of(selector).matches(labels);
    }

    /** For listing pods by selector on the API server. */
    public static LabelSelector toLabelSelector(PodSelector selector) {
        List<LabelSelectorRequirement> expressions = selector.matchExpressions().stream()
                .map(r -> new LabelSelectorRequirementBuilder().withKey(r.key()).withOperator(r.operator())
                        .withValues(r.values()).build())
                .toList();
        return new LabelSelectorBuilder().withMatchLabels(selector.matchLabels()).withMatchExpressions(expressions).build();
    }
}
