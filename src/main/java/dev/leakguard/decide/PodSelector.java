package dev.leakguard.decide;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which pods a LeakPolicy, a workload or a PodDisruptionBudget selects: Kubernetes' label-selector
 * semantics (matchLabels AND matchExpressions), evaluated here, without the client's model.
 *
 * @param matchLabels      labels a pod must carry with exactly these values
 * @param matchExpressions further requirements, all of which must hold
 */
public record PodSelector(Map<String, String> matchLabels, List<Requirement> matchExpressions) {

    /** One matchExpressions entry: {@code operator} is In, NotIn, Exists or DoesNotExist. */
    public record Requirement(String key, String operator, List<String> values) {
        public Requirement {
            values = values == null ? List.of() : List.copyOf(values);
        }

        boolean matches(Map<String, String> labels) {
            String value = labels.get(key);
            return switch (operator == null ? "" : operator) {
                case "In" -> value != null && values.contains(value);
                case "NotIn" -> value == null || !values.contains(value);
                case "Exists" -> labels.containsKey(key);
                case "DoesNotExist" -> !labels.containsKey(key);
                // An operator Kubernetes would reject selects nothing rather than everything.
                default -> false;
            };
        }
    }

    public PodSelector {
        matchLabels = matchLabels == null ? Map.of() : Map.copyOf(matchLabels);
        matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
    }

    public static PodSelector labels(Map<String, String> matchLabels) {
        return new PodSelector(matchLabels, List.of());
    }

    /**
     * As Kubernetes reads a selector: an empty one matches everything (so a PodDisruptionBudget with
     * {@code selector: {}} covers every pod). A LeakPolicy must name something; use
     * {@link #selectsPolicyPods} for policies.
     */
    public boolean matches(Map<String, String> labels) {
        Map<String, String> actual = labels == null ? Map.of() : labels;
        for (Map.Entry<String, String> wanted : matchLabels.entrySet()) {
            if (!Objects.equals(wanted.getValue(), actual.get(wanted.getKey()))) {
                return false;
            }
        }
        return matchExpressions.stream().allMatch(r -> r.matches(actual));
    }

    /** A LeakPolicy's selector: never matches when empty, so a policy cannot watch every pod by accident. */
    public boolean selectsPolicyPods(Map<String, String> labels) {
        return !isEmpty() && matches(labels);
    }

    public boolean isEmpty() {
        return matchLabels.isEmpty() && matchExpressions.isEmpty();
    }
}
