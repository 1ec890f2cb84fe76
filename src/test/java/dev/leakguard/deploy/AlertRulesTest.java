package dev.leakguard.deploy;

import dev.leakguard.testing.ExternalTool;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The alert rules, shipped twice: as a PrometheusRule and as a plain Prometheus rules file. */
class AlertRulesTest {

    private static final Path RULES_FILE = ProjectFiles.ALERTS.resolve("leakguard-rules.yml");
    private static final Path RULES_TESTS = ProjectFiles.ALERTS.resolve("leakguard-rules.test.yml");

    @Test
    void prometheusRuleAndRulesFileHoldIdenticalGroups() {
        JsonNode fromPrometheusRule = BaseManifestsTest.genericSpec("prometheusrule.yaml").get("groups");
        JsonNode fromRulesFile = ProjectFiles.yamlTree(RULES_FILE).get("groups");

        assertThat(fromRulesFile).isNotEmpty();
        assertThat(fromPrometheusRule).isEqualTo(fromRulesFile);
    }

    @Test
    void promtoolAcceptsTheRules() {
        ExternalTool.Result result = ExternalTool.promtool().run(ProjectFiles.ALERTS, "check", "rules", RULES_FILE.getFileName().toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    @Test
    void promtoolUnitTestsPass() {
        ExternalTool.Result result = ExternalTool.promtool().run(ProjectFiles.ALERTS, "test", "rules", RULES_TESTS.getFileName().toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS");
    }

    @Test
    void shipsTheDocumentedAlerts() {
        assertThat(rules()).extracting(r -> r.get("alert").asText()).containsExactlyInAnyOrder(
                "LeakguardOOMPredicted", "LeakguardLeakSuspectedForLong", "LeakguardRestartLoop",
                "LeakguardOOMKillMissed", "LeakguardActionsFailing", "LeakguardScrapeFailing",
                "LeakguardPolicyNotReady", "LeakguardOperatorDown", "LeakguardOperatorAbsent");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("alertNames")
    void everyAlertHasCasesThatFireAndCasesThatMustNot(String alert) {
        boolean fires = false;
        boolean quiet = false;
        for (JsonNode test : ProjectFiles.yamlTree(RULES_TESTS).get("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                if (check.get("alertname").asText().equals(alert)) {
                    fires |= !check.path("exp_alerts").isEmpty();
                    quiet |= check.path("exp_alerts").isEmpty();
                }
            }
        }
        assertThat(fires).as("a promtool case where %s fires", alert).isTrue();
        assertThat(quiet).as("a promtool case where %s must not fire", alert).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("alertNames")
    void everyAlertExplainsItselfAndSaysWhatToRun(String alert) {
        JsonNode rule = rule(alert);
        JsonNode annotations = rule.get("annotations");

        assertThat(rule.at("/labels/severity").asText()).isIn("warning", "critical");
        assertThat(annotations.path("summary").asText()).isNotBlank();
        assertThat(annotations.path("description").asText()).isNotBlank();
        // runbook_url is the convention Alertmanager templates, Grafana and PagerDuty link; the commands live in docs/runbooks.md.
        assertThat(annotations.has("runbook")).isFalse();
        assertThat(annotations.path("runbook_url").asText()).isEqualTo(RUNBOOKS + alert.toLowerCase(java.util.Locale.ROOT));
        String section = runbookSection(alert);
        assertThat(section).contains("```sh\nkubectl ");
        if (rule.get("expr").asText().contains("policy")) {
            assertThat(section).contains("kubectl describe lp -n <namespace> <policy>");
        }
    }

    @Test
    void podAlertsPointAtThePodsEventsAndTheEvidence() {
        assertThat(runbookSection("LeakguardOOMPredicted")).contains(
                "kubectl get events -n <namespace> --field-selector involvedObject.name=<pod>",
                "kubectl get configmap -n <namespace> -l leakguard.dev/evidence=true");
    }

    private static final String RUNBOOKS = "https://github.com/leakguard/leakguard/blob/main/docs/runbooks.md#";

    /** The section "## alert" of docs/runbooks.md, the anchor runbook_url points at. */
    private static String runbookSection(String alert) {
        String runbooks = ProjectFiles.read(ProjectFiles.ROOT.resolve("docs/runbooks.md"));
        int start = runbooks.indexOf("\n## " + alert + "\n");
        assertThat(start).as("docs/runbooks.md has a section ## %s", alert).isNotNegative();
        int end = runbooks.indexOf("\n## ", start + 1);
        return runbooks.substring(start, end < 0 ? runbooks.length() : end);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("alertNames")
    void expressionsUseOnlyExportedSeriesAndTheirLabels(String alert) {
        for (PromQl.Selector selector : PromQl.selectors(rule(alert).get("expr").asText())) {
            assertThat(ExportedMetrics.labelsOf(selector.metric()))
                    .as("%s uses %s", alert, selector.metric())
                    .hasValueSatisfying(labels -> assertThat(labels).containsAll(
                            selector.matchers().stream().map(PromQl.Matcher::label).toList()));
        }
    }

    @Test
    void operatorAlertsSelectTheServiceMonitorsJob() {
        assertThat(rule("LeakguardOperatorDown").get("expr").asText().strip()).isEqualTo("up{job=\"leakguard\"} == 0");
        assertThat(rule("LeakguardOperatorAbsent").get("expr").asText().strip()).isEqualTo("absent(up{job=\"leakguard\"})");
    }

    static List<String> alertNames() {
        return rules().stream().map(r -> r.get("alert").asText()).toList();
    }

    private static List<JsonNode> rules() {
        List<JsonNode> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (JsonNode group : ProjectFiles.yamlTree(RULES_FILE).get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                assertThat(names.add(rule.get("alert").asText())).as("alert names are unique").isTrue();
                rules.add(rule);
            }
        }
        return rules;
    }

    private static JsonNode rule(String alert) {
        return rules().stream().filter(r -> r.get("alert").asText().equals(alert)).findFirst().orElseThrow();
    }
}
