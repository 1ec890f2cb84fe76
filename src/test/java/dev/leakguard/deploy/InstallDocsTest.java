package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/install.md and the README's metrics section match what is shipped. */
class InstallDocsTest {

    private static final Pattern DEPLOY_PATH = Pattern.compile("deploy/[\\w./-]*[\\w/]");

    private final String install = ProjectFiles.read(ProjectFiles.ROOT.resolve("docs/install.md"));
    private final String metrics = ProjectFiles.read(ProjectFiles.ROOT.resolve("README.md"));

    @Test
    void installIsTheTwoKubectlCommands() {
        assertThat(install).contains("kubectl apply -f crds/ && kubectl apply -k deploy/\n");
        assertThat(install).contains("kubectl apply -k deploy/overlays/single-namespace\n");
        assertThat(install).contains("kubectl delete -k deploy/");
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
