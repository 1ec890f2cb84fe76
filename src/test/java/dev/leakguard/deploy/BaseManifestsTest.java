package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** deploy/base: what `kubectl apply -k deploy/` creates. */
class BaseManifestsTest {

    private static final String NAMESPACE = "leakguard";
    private static final Map<String, String> NAME_LABEL = Map.of("app.kubernetes.io/name", "leakguard");

    static Stream<Arguments> baseFiles() {
        return Stream.of(
                Arguments.of("namespace.yaml", Namespace.class),
                Arguments.of("serviceaccount.yaml", ServiceAccount.class),
                Arguments.of("clusterrole.yaml", ClusterRole.class),
                Arguments.of("clusterrolebinding.yaml", ClusterRoleBinding.class),
                Arguments.of("clusterrole-leakpolicy-view.yaml", ClusterRole.class),
                Arguments.of("clusterrole-leakpolicy-edit.yaml", ClusterRole.class),
                Arguments.of("role-leader-election.yaml", Role.class),
                Arguments.of("rolebinding-leader-election.yaml", RoleBinding.class),
                Arguments.of("deployment.yaml", Deployment.class),
                Arguments.of("poddisruptionbudget.yaml", PodDisruptionBudget.class),
                Arguments.of("service.yaml", Service.class),
                Arguments.of("servicemonitor.yaml", GenericKubernetesResource.class),
                Arguments.of("prometheusrule.yaml", GenericKubernetesResource.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("baseFiles")
    void parsesIntoItsModelClassWithoutUnknownFields(String file, Class<? extends HasMetadata> type) {
        HasMetadata object = ProjectFiles.manifest(ProjectFiles.BASE.resolve(file));

        assertThat(object).isExactlyInstanceOf(type);
        assertThat(UnknownFields.in(object)).as("fields fabric8 does not know in %s", file).isEmpty();
        assertThat(object.getMetadata().getLabels()).containsAllEntriesOf(NAME_LABEL);
        boolean clusterScoped = object instanceof Namespace || object instanceof ClusterRole || object instanceof ClusterRoleBinding;
        assertThat(object.getMetadata().getNamespace()).isEqualTo(clusterScoped ? null : NAMESPACE);
    }

    @Test
    void testsCoverEveryBaseFile() {
        assertThat(baseFiles().map(arguments -> (String) arguments.get()[0]))
                .containsExactlyInAnyOrderElementsOf(kustomizationResources(ProjectFiles.BASE));
    }

    @Test
    void baseKustomizationListsExactlyTheFilesInItsFolder() {
        List<String> files = ProjectFiles.filesIn(ProjectFiles.BASE).stream()
                .map(p -> p.getFileName().toString())
                .filter(name -> !name.equals("kustomization.yaml"))
                .toList();

        assertThat(kustomizationResources(ProjectFiles.BASE)).containsExactlyInAnyOrderElementsOf(files);
    }

    @Test
    void deployKustomizationInstallsTheBaseAndHoldsNoLooseManifests() {
        assertThat(kustomizationResources(ProjectFiles.DEPLOY)).containsExactly("base");
        assertThat(ProjectFiles.yamlFilesIn(ProjectFiles.DEPLOY))
                .extracting(p -> p.getFileName().toString())
                .containsExactly("kustomization.yaml");
    }

    @Test
    void bindingsGiveTheRolesToTheDeploymentsServiceAccount() {
        Deployment deployment = ProjectFiles.manifest(ProjectFiles.BASE.resolve("deployment.yaml"), Deployment.class);
        ServiceAccount account = ProjectFiles.manifest(ProjectFiles.BASE.resolve("serviceaccount.yaml"), ServiceAccount.class);
        ClusterRoleBinding clusterBinding = ProjectFiles.manifest(ProjectFiles.BASE.resolve("clusterrolebinding.yaml"), ClusterRoleBinding.class);
        RoleBinding leaseBinding = ProjectFiles.manifest(ProjectFiles.BASE.resolve("rolebinding-leader-election.yaml"), RoleBinding.class);
        String clusterRole = ProjectFiles.manifest(ProjectFiles.BASE.resolve("clusterrole.yaml")).getMetadata().getName();
        String leaseRole = ProjectFiles.manifest(ProjectFiles.BASE.resolve("role-leader-election.yaml")).getMetadata().getName();

        assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo(account.getMetadata().getName());
        Subject operator = new Subject(null, "ServiceAccount", account.getMetadata().getName(), NAMESPACE);
        assertThat(clusterBinding.getSubjects()).containsExactly(operator);
        assertThat(leaseBinding.getSubjects()).containsExactly(operator);
        assertThat(clusterBinding.getRoleRef().getKind()).isEqualTo("ClusterRole");
        assertThat(clusterBinding.getRoleRef().getName()).isEqualTo(clusterRole);
        assertThat(leaseBinding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(leaseBinding.getRoleRef().getName()).isEqualTo(leaseRole);
    }

    @Test
    void serviceExposesTheMetricsPortOfTheOperatorPods() {
        Deployment deployment = ProjectFiles.manifest(ProjectFiles.BASE.resolve("deployment.yaml"), Deployment.class);
        Service service = ProjectFiles.manifest(ProjectFiles.BASE.resolve("service.yaml"), Service.class);

        assertThat(service.getMetadata().getName()).isEqualTo("leakguard-metrics");
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(service.getSpec().getSelector());
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getName()).isEqualTo("http-metrics");
            assertThat(port.getPort()).isEqualTo(8080);
            assertThat(port.getTargetPort().getStrVal()).isEqualTo("http-metrics");
        });
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
                .anySatisfy(port -> {
                    assertThat(port.getName()).isEqualTo("http-metrics");
                    assertThat(port.getContainerPort()).isEqualTo(8080);
                });
    }

    @Test
    void serviceMonitorScrapesTheServiceAsJobLeakguardKeepingThePodLabels() {
        Service service = ProjectFiles.manifest(ProjectFiles.BASE.resolve("service.yaml"), Service.class);
        JsonNode spec = genericSpec("servicemonitor.yaml");

        assertThat(ProjectFiles.manifest(ProjectFiles.BASE.resolve("servicemonitor.yaml")).getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        spec.get("selector").get("matchLabels").properties().forEach(label ->
                assertThat(service.getMetadata().getLabels()).containsEntry(label.getKey(), label.getValue().asText()));
        // The job label is the value of this Service label; the alerts select job="leakguard".
        assertThat(service.getMetadata().getLabels()).containsEntry(spec.get("jobLabel").asText(), "leakguard");
        assertThat(spec.get("namespaceSelector").get("matchNames")).extracting(JsonNode::asText).containsExactly(NAMESPACE);
        JsonNode endpoint = spec.get("endpoints").get(0);
        assertThat(spec.get("endpoints")).hasSize(1);
        assertThat(endpoint.get("port").asText()).isEqualTo("http-metrics");
        assertThat(endpoint.get("path").asText()).isEqualTo("/metrics");
        assertThat(endpoint.get("honorLabels").asBoolean()).as("honorLabels keeps leakguard's namespace/pod labels").isTrue();
    }

    @Test
    void podDisruptionBudgetKeepsOneOperatorReplicaDuringDrains() {
        PodDisruptionBudget budget = ProjectFiles.manifest(ProjectFiles.BASE.resolve("poddisruptionbudget.yaml"), PodDisruptionBudget.class);
        Deployment deployment = ProjectFiles.manifest(ProjectFiles.BASE.resolve("deployment.yaml"), Deployment.class);

        assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void namespaceEnforcesTheRestrictedPodSecurityStandard() {
        Namespace namespace = ProjectFiles.manifest(ProjectFiles.BASE.resolve("namespace.yaml"), Namespace.class);

        assertThat(namespace.getMetadata().getName()).isEqualTo(NAMESPACE);
        assertThat(namespace.getMetadata().getLabels()).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    }

    static List<String> kustomizationResources(Path folder) {
        JsonNode resources = ProjectFiles.yamlTree(folder.resolve("kustomization.yaml")).get("resources");
        List<String> names = new ArrayList<>();
        resources.forEach(entry -> names.add(entry.asText()));
        return names;
    }

    static JsonNode genericSpec(String baseFile) {
        return ProjectFiles.yamlTree(ProjectFiles.BASE.resolve(baseFile)).get("spec");
    }
}
