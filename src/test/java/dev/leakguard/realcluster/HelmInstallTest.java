package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.testing.ExternalTool;
import dev.leakguard.testing.ProjectRoot;
import dev.leakguard.testing.RealKubernetes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart's objects, as the real Helm renders them, accepted by a real kube-apiserver
 * ({@code helm template | kubectl apply --dry-run=server}): schema, defaulting and admission run, nothing
 * is stored. The ServiceMonitor and PrometheusRule are left out because this control plane has no
 * Prometheus Operator CRDs; HelmChartTest proves they render as in deploy/base.
 */
class HelmInstallTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();

    @TempDir
    Path directory;

    private Path template(String... values) throws Exception {
        List<String> args = new ArrayList<>(List.of("template", "leakguard", "charts/leakguard", "--include-crds",
                "--set", "prometheus.serviceMonitor=false", "--set", "prometheus.prometheusRule=false"));
        args.addAll(List.of(values));
        ExternalTool.Result rendered = ExternalTool.helm().runForStdout(ProjectRoot.PATH, args.toArray(String[]::new));
        assertThat(rendered.exitCode()).as(rendered.output()).isZero();
        return Files.writeString(Files.createTempFile(directory, "chart", ".yaml"), rendered.output());
    }

    @Test
    void theApiServerAcceptsTheChartWithDefaultsInAnotherNamespaceAndTheTryItPolicy() throws Exception {
        k8s.installLeakguard();
        ExternalTool.Result defaults = k8s.kubectl("apply", "--dry-run=server", "-f", template().toString());
        assertThat(defaults.exitCode()).as(defaults.output()).isZero();
        assertThat(defaults.output()).contains("deployment.apps/leakguard created (server dry run)")
                .contains("customresourcedefinition.apiextensions.k8s.io/leakpolicies.leakguard.dev");

        // docs/install.md's "try it" policy, applied as written right after the install.
        ExternalTool.Result tryIt = k8s.kubectl("apply", "--dry-run=server", "-f", "deploy/try/leakguard-watches-itself.yaml");
        assertThat(tryIt.exitCode()).as(tryIt.output()).isZero();
        assertThat(tryIt.output()).contains("leakpolicy.leakguard.dev/try-leakguard created (server dry run)");

        String namespace = k8s.namespace("helm");
        ExternalTool.Result elsewhere = k8s.kubectl("apply", "--dry-run=server", "-f", template("--set", "namespace=" + namespace,
                "--set", "createNamespace=false", "--set", "image.repository=registry.example.com/leakguard", "--set", "replicas=1",
                "--set", "leaderElection=false", "--set", "admissionPolicy.enabled=true").toString());
        assertThat(elsewhere.exitCode()).as(elsewhere.output()).isZero();
        assertThat(elsewhere.output()).contains("serviceaccount/leakguard created (server dry run)")
                .contains("deployment.apps/leakguard created (server dry run)")
                .contains("validatingadmissionpolicy.admissionregistration.k8s.io/leakguard-restarts");
    }
}
