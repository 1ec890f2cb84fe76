package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** deploy/examples: LeakPolicies users copy. They are not part of the install. */
class ExamplePoliciesTest {

    static List<Path> examples() {
        return ProjectFiles.yamlFilesIn(ProjectFiles.EXAMPLES);
    }

    @Test
    void theThreeDocumentedExamplesExist() {
        assertThat(examples()).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrder(
                "go-redis-pool-leak.yaml", "spring-boot-thread-leak.yaml", "annotate-dry-run.yaml");
    }

    @ParameterizedTest
    @MethodSource("examples")
    void isANamespacedLeakPolicyWithASelector(Path example) {
        GenericKubernetesResource policy = ProjectFiles.manifest(example, GenericKubernetesResource.class);

        assertThat(policy.getApiVersion()).isEqualTo("leakguard.dev/v1alpha1");
        assertThat(policy.getKind()).isEqualTo("LeakPolicy");
        assertThat(policy.getMetadata().getNamespace()).isNotBlank();
        assertThat((Map<?, ?>) policy.get("spec", "selector")).isNotEmpty();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void appliesCleanlyAgainstTheGeneratedCrd(Path example) {
        CrdSchemaValidator schema = CrdSchemaValidator.fromCrd(ProjectFiles.LEAKPOLICY_CRD, "v1alpha1");

        assertThat(schema.violations(ProjectFiles.manifest(example))).isEmpty();
    }
}
