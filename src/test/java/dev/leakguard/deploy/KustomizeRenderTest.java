package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What `kubectl apply -k` would create from deploy/ and the overlay without the Prometheus Operator. */
class KustomizeRenderTest {

    @Test
    void deployRendersEveryBaseObjectUnchanged() {
        List<HasMetadata> expected = BaseManifestsTest.kustomizationResources(ProjectFiles.BASE).stream()
                .map(file -> ProjectFiles.manifest(ProjectFiles.BASE.resolve(file)))
                .toList();

        assertThat(Kustomize.render("deploy/")).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void withoutPrometheusOperatorDropsOnlyTheMonitoringObjects() {
        List<String> base = kinds(Kustomize.render("deploy/"));
        List<String> trimmed = kinds(Kustomize.render("deploy/overlays/without-prometheus-operator"));

        assertThat(base).contains("ServiceMonitor", "PrometheusRule");
        assertThat(trimmed).containsExactlyInAnyOrderElementsOf(
                base.stream().filter(kind -> !kind.equals("ServiceMonitor") && !kind.equals("PrometheusRule")).toList());
    }

    private static List<String> kinds(List<HasMetadata> objects) {
        return objects.stream().map(HasMetadata::getKind).toList();
    }
}
