package dev.leakguard.decide;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/** Kubernetes label-selector semantics (matchLabels AND matchExpressions), evaluated client-side. */
public final class LabelSelectors {
    private LabelSelectors() {
    }

    /**
     * As Kubernetes reads a selector: an empty one matches everything (so a PodDisruptionBudget with
     * {@code selector: {}} covers every pod), a missing one matches nothing. A LeakPolicy must name
     * something; use {@link #selectsPolicyPods} for policies.
     */
    public static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> actual = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> wanted : selector.getMatchLabels().entrySet()) {
                if (!wanted.getValue().equals(actual.get(wanted.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
                if (!matches(requirement, actual)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A LeakPolicy's selector: never matches when empty, so a policy cannot watch every pod by accident. */
    public static boolean selectsPolicyPods(LabelSelector selector, Map<String, String> labels) {
        return !isEmpty(selector) && matches(selector, labels);
    }

    public static boolean isEmpty(LabelSelector selector) {
        return selector == null
                || (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
                && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty());
    }

    private static boolean matches(LabelSelectorRequirement requirement, Map<String, String> labels) {
        String value = labels.get(requirement.getKey());
        List<String> values = requirement.getValues() == null ? List.of() : requirement.getValues();
        return switch (requirement.getOperator() == null ? "" : requirement.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> labels.containsKey(requirement.getKey());
            case "DoesNotExist" -> !labels.containsKey(requirement.getKey());
            // An operator Kubernetes would reject selects nothing rather than everything.
            default -> false;
        };
    }
}
