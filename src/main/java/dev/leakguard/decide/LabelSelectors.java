package dev.leakguard.decide;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/** Kubernetes label-selector semantics (matchLabels AND matchExpressions), evaluated client-side. */
public final class LabelSelectors {
    private LabelSelectors() {
    }

    /** An empty or missing selector matches nothing here: leakguard never watches every pod by accident. */
    public static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> matchLabels = selector.getMatchLabels();
        List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
        boolean empty = (matchLabels == null || matchLabels.isEmpty()) && (expressions == null || expressions.isEmpty());
        if (empty) {
            return false;
        }
        Map<String, String> actual = labels == null ? Map.of() : labels;
        if (matchLabels != null) {
            for (Map.Entry<String, String> wanted : matchLabels.entrySet()) {
                if (!wanted.getValue().equals(actual.get(wanted.getKey()))) {
                    return false;
                }
            }
        }
        if (expressions != null) {
            for (LabelSelectorRequirement r : expressions) {
                String value = actual.get(r.getKey());
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                boolean ok = switch (r.getOperator()) {
                    case "In" -> value != null && values.contains(value);
                    case "NotIn" -> value == null || !values.contains(value);
                    case "Exists" -> actual.containsKey(r.getKey());
                    case "DoesNotExist" -> !actual.containsKey(r.getKey());
                    default -> false;
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }
}
