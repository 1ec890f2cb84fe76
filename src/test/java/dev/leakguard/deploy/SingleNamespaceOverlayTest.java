package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** deploy/overlays/single-namespace as kustomize renders it (`kubectl kustomize`, the real tool). */
class SingleNamespaceOverlayTest {

    /** Rendered on first use, so that each test reports its own skip when kubectl is missing. */
    private static List<HasMetadata> rendered;

    private static List<HasMetadata> rendered() {
        if (rendered == null) {
            rendered = Kustomize.render("deploy/overlays/single-namespace");
        }
        return rendered;
    }

    @Test
    void grantsNothingClusterWide() {
        assertThat(rendered()).noneMatch(o -> o instanceof ClusterRole || o instanceof ClusterRoleBinding);
    }

    @Test
    void roleInTheWatchedNamespaceGrantsWhatTheClusterRoleGrantedAndIsBoundToTheOperator() {
        String watched = watchedNamespace();
        Role role = only(Role.class, "leakguard");
        RoleBinding binding = only(RoleBinding.class, "leakguard");

        assertThat(role.getMetadata().getNamespace()).isEqualTo(watched);
        assertThat(OperatorPermissions.grantedBy(role.getRules()))
                .containsExactlyInAnyOrderElementsOf(OperatorPermissions.WATCHED_NAMESPACES);
        assertThat(binding.getMetadata().getNamespace()).isEqualTo(watched);
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo("leakguard");
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getName()).isEqualTo("leakguard");
            assertThat(subject.getNamespace()).isEqualTo("leakguard");
        });
    }

    @Test
    void operatorWatchesOneNamespaceAndKeepsItsLeaseInItsOwn() {
        assertThat(watchedNamespace()).isNotBlank().doesNotContain(",");
        assertThat(only(Role.class, "leakguard-leader-election").getMetadata().getNamespace()).isEqualTo("leakguard");
        assertThat(only(Deployment.class, "leakguard").getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                .contains("--leader-election");
    }

    @Test
    void keepsEveryOtherBaseObject() {
        Set<String> renderedKinds = rendered().stream().map(HasMetadata::getKind).collect(Collectors.toSet());
        assertThat(renderedKinds).containsExactlyInAnyOrder("Namespace", "ServiceAccount", "Role", "RoleBinding",
                "Deployment", "PodDisruptionBudget", "Service", "ServiceMonitor", "PrometheusRule");
    }

    @Test
    void overlayFolderHoldsOnlyFilesItsKustomizationUses() {
        String kustomization = ProjectFiles.read(ProjectFiles.SINGLE_NAMESPACE_OVERLAY.resolve("kustomization.yaml"));
        ProjectFiles.filesIn(ProjectFiles.SINGLE_NAMESPACE_OVERLAY).stream()
                .map(p -> p.getFileName().toString())
                .filter(name -> !name.equals("kustomization.yaml"))
                .forEach(name -> assertThat(kustomization).contains("path: " + name));
    }

    private static String watchedNamespace() {
        return only(Deployment.class, "leakguard").getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("LEAKGUARD_NAMESPACES"))
                .map(EnvVar::getValue)
                .findFirst().orElseThrow(() -> new AssertionError("the overlay sets no LEAKGUARD_NAMESPACES"));
    }

    private static <T extends HasMetadata> T only(Class<T> type, String name) {
        List<T> matches = rendered().stream()
                .filter(type::isInstance).map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name))
                .toList();
        assertThat(matches).as("%s %s in the rendered overlay", type.getSimpleName(), name).hasSize(1);
        return matches.get(0);
    }
}
