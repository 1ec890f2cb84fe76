package dev.leakguard.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Kubernetes' label-selector semantics, as {@link dev.leakguard.decide.PodSelector} evaluates the client's selectors. */
class SelectorsTest {
    static Stream<Arguments> cases() {
        Map<String, String> labels = Map.of("app", "checkout", "tier", "web");
        return Stream.of(
                Arguments.of("matchLabels hit", "{matchLabels: {app: checkout}}", labels, true),
                Arguments.of("matchLabels miss", "{matchLabels: {app: billing}}", labels, false),
                Arguments.of("empty selector matches everything, as for PDBs", "{}", labels, true),
                Arguments.of("In", "{matchExpressions: [{key: tier, operator: In, values: [web, api]}]}", labels, true),
                Arguments.of("NotIn", "{matchExpressions: [{key: tier, operator: NotIn, values: [web]}]}", labels, false),
                Arguments.of("NotIn on missing key", "{matchExpressions: [{key: zone, operator: NotIn, values: [a]}]}", labels, true),
                Arguments.of("Exists", "{matchExpressions: [{key: app, operator: Exists}]}", labels, true),
                Arguments.of("DoesNotExist", "{matchExpressions: [{key: app, operator: DoesNotExist}]}", labels, false),
                Arguments.of("both must hold", "{matchLabels: {app: checkout}, matchExpressions: [{key: tier, operator: In, values: [db]}]}", labels, false),
                Arguments.of("pod without labels", "{matchLabels: {app: checkout}}", null, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesLikeKubernetes(String name, String selectorYaml, Map<String, String> labels, boolean expected) {
        LabelSelector selector = Serialization.unmarshal("# flow-style YAML, not JSON\n" + selectorYaml, LabelSelector.class);
        assertThat(Selectors.matches(selector, labels)).isEqualTo(expected);
        assertThat(Selectors.of(Selectors.toLabelSelector(Selectors.of(selector))).matches(labels)).as("round trip").isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void aMissingSelectorMatchesNothingAndAnEmptyPolicySelectorSelectsNothing() {
        assertThat(Selectors.matches(null, Map.of("app", "x"))).isFalse();
        assertThat(Selectors.of(new LabelSelector()).selectsPolicyPods(Map.of("app", "x"))).isFalse();
        assertThat(Selectors.of(null).selectsPolicyPods(Map.of("app", "x"))).isFalse();
    }
}
