package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.testing.ExternalTool;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * charts/leakguard rendered by the real Helm (built from helm.sh/helm/v4 by src/test/helm/build.sh):
 * with its defaults it installs the very objects of {@code kubectl kustomize deploy/base}, and its
 * values change what they say and nothing else.
 */
class HelmChartTest {
    static final String CHART = "charts/leakguard";

    /** {@code helm template} with {@code args}; the objects it renders. */
    static List<HasMetadata> render(String... args) {
        ExternalTool.Result result = renderText(args);
        return new KubernetesSerialization().unmarshal(result.output());
    }

    static ExternalTool.Result renderText(String... args) {
        List<String> command = new ArrayList<>(List.of("template", "leakguard", CHART));
        command.addAll(List.of(args));
        ExternalTool.Result result = ExternalTool.helm().runForStdout(ProjectFiles.ROOT, command.toArray(String[]::new));
        assertThat(result.exitCode()).as("helm %s: %s", command, result.output()).isZero();
        return result;
    }

    @Test
    void lintPasses() {
        ExternalTool.Result lint = ExternalTool.helm().run(ProjectFiles.ROOT, "lint", "--strict", CHART);
        assertThat(lint.exitCode()).as(lint.output()).isZero();
        assertThat(lint.output()).contains("1 chart(s) linted, 0 chart(s) failed");
    }

    @Test
    void defaultsRenderExactlyTheKustomizeBase() {
        assertThat(render()).containsExactlyInAnyOrderElementsOf(Kustomize.render("deploy/base"));
    }

    @Test
    void theAdmissionPolicyValueAddsWhatTheRestrictRestartsOverlayAdds() {
        assertThat(render("--set", "admissionPolicy.enabled=true"))
                .containsExactlyInAnyOrderElementsOf(Kustomize.render("deploy/overlays/restrict-restarts"));
    }

    @Test
    void theCrdShipsInCrdsAsCommitted() {
        List<HasMetadata> withCrds = render("--include-crds");
        HasMetadata crd = withCrds.stream().filter(o -> o.getKind().equals("CustomResourceDefinition")).findFirst().orElseThrow();
        assertThat(crd).isEqualTo(ProjectFiles.manifest(ProjectFiles.LEAKPOLICY_CRD));
    }

    @Test
    void valuesSetImageReplicasResourcesLeaderElectionNamespaceAndWatchedNamespaces() {
        List<HasMetadata> objects = render("--set", "image.repository=registry.example.com/team/leakguard", "--set", "image.tag=1.2.3",
                "--set", "replicas=1", "--set", "leaderElection=false", "--set", "namespace=ops",
                "--set", "resources.limits.memory=1Gi", "--set", "watchNamespaces={shop,payments}",
                "--set", "prometheus.url=http://prometheus.monitoring:9090");
        Deployment deployment = (Deployment) objects.stream().filter(o -> o instanceof Deployment).findFirst().orElseThrow();
        var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("registry.example.com/team/leakguard:1.2.3");
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(container.getArgs()).doesNotContain("--leader-election").contains("run", "--prometheus-url=http://prometheus.monitoring:9090");
        assertThat(container.getResources().getLimits().get("memory").toString()).isEqualTo("1Gi");
        assertThat(container.getEnv()).anyMatch(e -> e.getName().equals("LEAKGUARD_NAMESPACES") && e.getValue().equals("shop,payments"));
        for (HasMetadata object : objects) {
            if (object instanceof Namespaced) {
                assertThat(object.getMetadata().getNamespace()).as(object.getKind()).isEqualTo("ops");
            }
        }
        assertThat(objects).filteredOn(o -> o.getKind().equals("Namespace")).singleElement()
                .satisfies(ns -> assertThat(ns.getMetadata().getName()).isEqualTo("ops"));
        objects.stream().filter(o -> o instanceof ClusterRoleBinding).map(o -> (ClusterRoleBinding) o)
                .forEach(b -> assertThat(b.getSubjects()).allMatch(s -> s.getNamespace().equals("ops")));
        objects.stream().filter(o -> o instanceof RoleBinding).map(o -> (RoleBinding) o)
                .forEach(b -> assertThat(b.getSubjects()).allMatch(s -> s.getNamespace().equals("ops")));
    }

    @Test
    void prometheusOperatorObjectsAndTheNamespaceCanBeLeftOut() {
        List<String> kinds = render("--set", "prometheus.serviceMonitor=false", "--set", "prometheus.prometheusRule=false",
                "--set", "createNamespace=false").stream().map(HasMetadata::getKind).toList();
        List<String> base = Kustomize.render("deploy/base").stream().map(HasMetadata::getKind)
                .filter(kind -> !List.of("ServiceMonitor", "PrometheusRule", "Namespace").contains(kind)).toList();
        assertThat(kinds).containsExactlyInAnyOrderElementsOf(base);
    }

    /** The operator's own default (at-risk) is left off the command line; the others are passed, a typo is refused. */
    @Test
    void podMetricsIsPassedToTheOperatorAndCheckedByHelm() {
        assertThat(operatorArgs()).noneMatch(arg -> arg.startsWith("--pod-metrics"));
        assertThat(operatorArgs("--set", "podMetrics=at-risk")).noneMatch(arg -> arg.startsWith("--pod-metrics"));
        assertThat(operatorArgs("--set", "podMetrics=all")).contains("--pod-metrics=all");
        assertThat(operatorArgs("--set", "podMetrics=none")).contains("--pod-metrics=none");

        List<String> command = List.of("template", "leakguard", CHART, "--set", "podMetrics=atrisk");
        ExternalTool.Result typo = ExternalTool.helm().run(ProjectFiles.ROOT, command.toArray(String[]::new));
        assertThat(typo.exitCode()).isNotZero();
        assertThat(typo.output()).contains("podMetrics must be one of all, at-risk, none, got \"atrisk\"");
    }

    private static List<String> operatorArgs(String... args) {
        Deployment deployment = (Deployment) render(args).stream().filter(o -> o instanceof Deployment).findFirst().orElseThrow();
        return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    }
}
