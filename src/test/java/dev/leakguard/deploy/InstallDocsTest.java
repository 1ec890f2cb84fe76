package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.leakguard.testing.ExternalTool;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/install.md and the README's metrics section match what is shipped. */
class InstallDocsTest {

    private static final Pattern DEPLOY_PATH = Pattern.compile("deploy/[\\w./-]*[\\w/]");

    private final String install = ProjectFiles.read(ProjectFiles.ROOT.resolve("docs/install.md"));
    private final String metrics = ProjectFiles.read(ProjectFiles.ROOT.resolve("README.md"));

    @Test
    void installCommandsUseAnImageTheReaderBuiltAndNoneThatDoesNotExist() {
        assertThat(install).contains("docker build -t registry.example.com/team/leakguard:0.1.0 .\n")
                .contains("kustomize edit set image leakguard=registry.example.com/team/leakguard:0.1.0\n")
                .contains("kubectl apply -f crds/ && kubectl apply -k my-leakguard/\n")
                .contains("helm install leakguard charts/leakguard \\\n  --set image.repository=registry.example.com/team/leakguard --set image.tag=0.1.0\n")
                .contains("kubectl apply -f deploy/release/leakguard.yaml\n")
                .contains("kubectl apply -k deploy/overlays/single-namespace\n")
                .contains("kubectl delete -k deploy/")
                .doesNotContain("ghcr.io").doesNotContain("mvn -B package -DskipTests\ndocker build");
    }

    /** The overlay of section 2a exactly as written (its kustomization heredoc plus the images block), rendered by kustomize. */
    @Test
    void theDocumentedOverlaySetsTheImage() throws Exception {
        // kustomize takes only relative paths to a base: the overlay is written under target/, the path made relative from there.
        Path directory = Files.createTempDirectory(Files.createDirectories(ProjectFiles.ROOT.resolve("target")), "my-leakguard");
        String heredoc = between(install, "cat > kustomization.yaml <<'EOF'\n", "\nEOF\n");
        String images = between(install, "```yaml\nimages:", "```").stripTrailing();
        String kustomization = heredoc.replace("../deploy", directory.relativize(ProjectFiles.DEPLOY).toString()) + "\nimages:" + images + "\n";
        try {
            Files.writeString(directory.resolve("kustomization.yaml"), kustomization);
            ExternalTool.Result rendered = ExternalTool.kubectl().run(ProjectFiles.ROOT, "kustomize", directory.toString());
            assertThat(rendered.exitCode()).as(rendered.output()).isZero();
            Deployment deployment = new KubernetesSerialization().<List<HasMetadata>>unmarshal(rendered.output()).stream()
                    .filter(o -> o instanceof Deployment).map(o -> (Deployment) o).findFirst().orElseThrow();
            assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                    .isEqualTo("registry.example.com/team/leakguard:0.1.0");
        } finally {
            Files.deleteIfExists(directory.resolve("kustomization.yaml"));
            Files.delete(directory);
        }
    }

    /** The `helm template` command of section 2b, run as written. */
    @Test
    void theDocumentedHelmTemplateCommandRuns() {
        String command = between(install, "`helm template ", "`");
        ExternalTool.Result rendered = ExternalTool.helm().runForStdout(ProjectFiles.ROOT, ("template " + command).split(" "));
        assertThat(rendered.exitCode()).as(rendered.output()).isZero();
        assertThat(rendered.output()).contains("image: registry.example.com/team/leakguard:0.1.0");
    }

    /** The scrape_config in the docs is the shipped file, and it keeps exactly the Service and port of deploy/base. */
    @Test
    void theScrapeConfigIsShippedDocumentedAndMatchesTheService() {
        Path file = ProjectFiles.DEPLOY.resolve("prometheus/scrape-config.yml");
        String shipped = ProjectFiles.read(file);
        assertThat(install).contains("```yaml\n" + shipped.substring(shipped.indexOf("rule_files:")) + "```");
        JsonNode config = ProjectFiles.yamlTree(file);
        assertThat(Files.exists(ProjectFiles.ALERTS.resolve(config.at("/rule_files/0").asText()))).isTrue();
        JsonNode job = config.at("/scrape_configs/0");
        assertThat(job.get("job_name").asText()).isEqualTo("leakguard");
        assertThat(job.get("honor_labels").asBoolean()).isTrue();
        Service service = ProjectFiles.manifest(ProjectFiles.BASE.resolve("service.yaml"), Service.class);
        assertThat(job.at("/kubernetes_sd_configs/0/namespaces/names/0").asText()).isEqualTo(service.getMetadata().getNamespace());
        assertThat(job.at("/relabel_configs/0/regex").asText())
                .isEqualTo(service.getMetadata().getName() + ";" + service.getSpec().getPorts().get(0).getName());
    }

    private static String between(String text, String start, String end) {
        int from = text.indexOf(start);
        assertThat(from).as("docs/install.md contains %s", start).isNotNegative();
        from += start.length();
        return text.substring(from, text.indexOf(end, from));
    }

    @Test
    void everyDeployPathTheDocsNameExists() {
        for (String doc : new String[] {install, metrics}) {
            Matcher path = DEPLOY_PATH.matcher(doc);
            while (path.find()) {
                assertThat(Files.exists(ProjectFiles.ROOT.resolve(path.group()))).as(path.group()).isTrue();
            }
        }
    }

    @Test
    void metricsDocDescribesEveryExportedMetricAndAlert() {
        for (String series : ExportedMetrics.SERIES.keySet()) {
            if (!series.startsWith("leakguard_")) {
                continue;
            }
            String metric = series.replaceFirst("_(bucket|sum|count|max)$", "");
            assertThat(metrics).contains("| `" + metric + "` |");
        }
        AlertRulesTest.alertNames().forEach(alert -> assertThat(metrics).contains("| `" + alert + "` |"));
    }
}
