package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CrdSchemaValidatorTest {

    private static final CrdSchemaValidator GADGETS = CrdSchemaValidator.fromCrd(
            ProjectFiles.ROOT.resolve("src/test/resources/deploy/gadgets.example.dev-crd.yaml"), "v1");

    private static final String VALID_SPEC = """
            size: 3
            ratio: 0.5
            mode: Fast
            name: abc
            port: metrics
            enabled: true
            note: null
            labels: {team: shop}
            raw: {anything: [1, {goes: here}]}
            parts: [{id: a}, {id: b}]
            """;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("a valid gadget", VALID_SPEC, List.of()),
                Arguments.of("int-or-string takes an integer", "size: 1\nmode: Slow\nport: 8080", List.of()),
                Arguments.of("required fields", "name: abc",
                        List.of("spec: missing required field \"size\"", "spec: missing required field \"mode\"")),
                Arguments.of("type", replace("size: 3", "size: \"3\""),
                        List.of("spec.size: must be of type integer, got STRING")),
                Arguments.of("integer needs a whole number", replace("size: 3", "size: 2.5"),
                        List.of("spec.size: must be of type integer, got NUMBER")),
                Arguments.of("minimum", replace("size: 3", "size: 0"),
                        List.of("spec.size: 0.0 is below the minimum 1.0")),
                Arguments.of("maximum", replace("size: 3", "size: 11"),
                        List.of("spec.size: 11.0 is above the maximum 10.0")),
                Arguments.of("exclusive minimum", replace("ratio: 0.5", "ratio: 0"),
                        List.of("spec.ratio: 0.0 is below the minimum 0.0")),
                Arguments.of("enum", replace("mode: Fast", "mode: fast"),
                        List.of("spec.mode: \"fast\" is not one of [\"Fast\", \"Slow\"]")),
                Arguments.of("pattern", replace("name: abc", "name: ab1"),
                        List.of("spec.name: \"ab1\" does not match ^[a-z]+$")),
                Arguments.of("string length", replace("name: abc", "name: a"),
                        List.of("spec.name: must be at least 2 characters long")),
                Arguments.of("int-or-string refuses other types", replace("port: metrics", "port: true"),
                        List.of("spec.port: must be an integer or a string, got BOOLEAN")),
                Arguments.of("null only where nullable", replace("enabled: true", "enabled: null"),
                        List.of("spec.enabled: must not be null")),
                Arguments.of("unknown fields are refused", VALID_SPEC + "sise: 4\n",
                        List.of("spec.sise: unknown field")),
                Arguments.of("map values are typed", replace("labels: {team: shop}", "labels: {team: [shop]}"),
                        List.of("spec.labels.team: must be of type string, got ARRAY")),
                Arguments.of("array items are validated", replace("parts: [{id: a}, {id: b}]", "parts: [{id: a}, {name: b}]"),
                        List.of("spec.parts[1]: missing required field \"id\"", "spec.parts[1].name: unknown field")),
                Arguments.of("minItems", replace("parts: [{id: a}, {id: b}]", "parts: []"),
                        List.of("spec.parts: must have at least 1 items")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reportsExactlyTheViolations(String name, String spec, List<String> expected) {
        assertThat(GADGETS.violations(gadget(spec))).containsExactlyInAnyOrderElementsOf(expected);
    }

    private static GenericKubernetesResource gadget(String spec) {
        String yaml = "apiVersion: example.dev/v1\nkind: Gadget\nmetadata: {name: g, namespace: ns, labels: {a: b}}\nspec:\n"
                + spec.indent(2);
        return Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    }

    private static String replace(String line, String replacement) {
        assertThat(VALID_SPEC).contains(line);
        return VALID_SPEC.replace(line, replacement);
    }
}
