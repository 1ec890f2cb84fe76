package dev.leakguard.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CrdTest {
    private static final Path COMMITTED = Path.of("crds/leakpolicies.leakguard.dev-v1.yml");
    private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8/leakpolicies.leakguard.dev-v1.yml");

    @Test
    void committedCrdIsTheOneTheBuildGenerates() throws IOException {
        assertThat(Files.readString(COMMITTED))
                .as("crds/ is stale: copy %s to %s", GENERATED, COMMITTED)
                .isEqualTo(Files.readString(GENERATED));
    }

    @Test
    void crdHasTheContractNamesStatusAndPrinterColumns() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(COMMITTED), CustomResourceDefinition.class);
        assertThat(crd.getSpec().getGroup()).isEqualTo("leakguard.dev");
        assertThat(crd.getSpec().getNames().getKind()).isEqualTo("LeakPolicy");
        assertThat(crd.getSpec().getNames().getPlural()).isEqualTo("leakpolicies");
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("lp");
        assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
        CustomResourceDefinitionVersion version = crd.getSpec().getVersions().get(0);
        assertThat(version.getName()).isEqualTo("v1alpha1");
        assertThat(version.getSubresources().getStatus()).isNotNull();
        assertThat(version.getAdditionalPrinterColumns()).extracting(c -> c.getName())
                .contains("Watched", "Leaking", "Restarts", "Age");
        JSONSchemaProps spec = version.getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        assertThat(spec.getRequired()).contains("selector", "metrics");
        assertThat(spec.getProperties().get("selector").getXKubernetesValidations()).isNotEmpty();
        assertThat(spec.getProperties().get("detection").getXKubernetesValidations()).isNotEmpty();
        assertThat(spec.getProperties().get("action").getProperties().get("type").getEnum())
                .extracting(Object::toString).containsExactlyInAnyOrder("\"Annotate\"", "\"Evict\"", "\"RolloutRestart\"");
        spec.getProperties().values().forEach(field -> assertThat(field.getDescription()).as("every spec field is documented").isNotBlank());
        spec.getProperties().get("metrics").getProperties().forEach((name, field) ->
                assertThat(field.getDescription()).as("metrics." + name + " is documented").isNotBlank());
    }
}
