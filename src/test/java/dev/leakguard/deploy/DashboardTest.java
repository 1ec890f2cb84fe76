package dev.leakguard.deploy;

import dev.leakguard.testing.ExternalTool;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deploy/grafana/leakguard-dashboard.json. */
class DashboardTest {

    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)");
    /** Stand-ins for Grafana's variables, so that promtool can parse the queries. */
    private static final Map<String, String> GRAFANA_VARIABLES = Map.of(
            "$namespace", ".*", "$policy", ".*", "$horizon", "900", "$__rate_interval", "1m");

    private final JsonNode dashboard = ProjectFiles.jsonTree(ProjectFiles.DASHBOARD);

    @Test
    void isAGrafanaDashboardWithNamespaceAndPolicyVariables() {
        assertThat(dashboard.get("uid").asText()).isEqualTo("leakguard");
        assertThat(dashboard.get("schemaVersion").asInt()).isPositive();
        assertThat(variable("datasource").get("type").asText()).isEqualTo("datasource");
        // Grafana's import dialog asks for a data source only for what __inputs declares, then puts the choice
        // wherever ${DS_PROMETHEUS} stands: here, the data source variable every panel uses.
        JsonNode input = dashboard.get("__inputs").get(0);
        assertThat(input.get("name").asText()).isEqualTo("DS_PROMETHEUS");
        assertThat(input.get("type").asText()).isEqualTo("datasource");
        assertThat(input.get("pluginId").asText()).isEqualTo("prometheus");
        assertThat(variable("datasource").at("/current/value").asText()).isEqualTo("${DS_PROMETHEUS}");
        assertThat(variable("namespace").get("type").asText()).isEqualTo("query");
        assertThat(variable("policy").get("definition").asText()).contains("namespace=~\"$namespace\"");
    }

    @Test
    void showsWhatTheIssueAsksFor() {
        assertThat(panels()).extracting(p -> p.get("title").asText()).contains(
                "Memory vs limit, with the predicted level in $horizon s", "Seconds to limit", "Memory growth rate",
                "Thread / goroutine growth rate", "Actions", "OOM kills missed and restart loops", "Riskiest pods");
        assertThat(exprs()).anyMatch(e -> e.contains("leakguard_pod_memory_growth_bytes_per_second") && e.contains("* $horizon"));
        assertThat(exprs()).anyMatch(e -> e.contains("time() + leakguard_pod_seconds_to_limit"));
    }

    @Test
    void everyQueryUsesOnlyExportedSeriesAndTheirLabels() {
        List<String> queries = new ArrayList<>(exprs());
        for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.get("type").asText().equals("query")) {
                Matcher labelValues = LABEL_VALUES.matcher(variable.get("definition").asText());
                assertThat(labelValues.matches()).as("variable %s uses label_values(selector, label)", variable.get("name")).isTrue();
                queries.add(labelValues.group(1));
                assertThat(ExportedMetrics.labelsOf(PromQl.selectors(labelValues.group(1)).get(0).metric()))
                        .hasValueSatisfying(labels -> assertThat(labels).contains(labelValues.group(2)));
            }
        }
        for (String query : queries) {
            List<PromQl.Selector> selectors = PromQl.selectors(query);
            assertThat(selectors).as("series in %s", query).isNotEmpty();
            for (PromQl.Selector selector : selectors) {
                assertThat(ExportedMetrics.labelsOf(selector.metric()))
                        .as("%s in %s", selector.metric(), query)
                        .hasValueSatisfying(labels -> assertThat(labels).containsAll(
                                selector.matchers().stream().map(PromQl.Matcher::label).toList()));
            }
        }
    }

    @Test
    void panelsFollowTheNamespaceAndPolicyVariables() {
        for (String expr : exprs()) {
            for (PromQl.Selector selector : PromQl.selectors(expr)) {
                // Only leakguard's own series: `up` carries the operator pod's namespace, not a watched one.
                Set<String> labels = ExportedMetrics.SERIES.getOrDefault(selector.metric(), Set.of());
                for (String variable : List.of("namespace", "policy")) {
                    if (labels.contains(variable)) {
                        assertThat(selector.matcher(variable))
                                .as("%s in %s filters by $%s", selector.metric(), expr, variable)
                                .contains(new PromQl.Matcher(variable, "=~", "$" + variable));
                    }
                }
            }
        }
    }

    @Test
    void everyPanelQueriesTheChosenDataSource() {
        for (JsonNode panel : panels()) {
            if (!panel.get("type").asText().equals("row")) {
                assertThat(panel.at("/datasource/uid").asText()).as(panel.get("title").asText()).isEqualTo("${datasource}");
            }
        }
    }

    @Test
    void promtoolParsesEveryQuery(@TempDir Path dir) throws IOException {
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
        List<String> exprs = exprs();
        for (int i = 0; i < exprs.size(); i++) {
            String expr = exprs.get(i);
            for (Map.Entry<String, String> variable : GRAFANA_VARIABLES.entrySet()) {
                expr = expr.replace(variable.getKey(), variable.getValue());
            }
            assertThat(expr).as("a Grafana variable without a stand-in").doesNotContain("$");
            rules.append("      - record: dashboard:query").append(i).append("\n        expr: '")
                    .append(expr.replace("'", "''")).append("'\n");
        }
        Files.writeString(dir.resolve("queries.yml"), rules);

        ExternalTool.Result result = ExternalTool.promtool().run(dir, "check", "rules", "queries.yml");
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    private List<JsonNode> panels() {
        List<JsonNode> panels = new ArrayList<>();
        dashboard.get("panels").forEach(panels::add);
        return panels;
    }

    private List<String> exprs() {
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : panels()) {
            panel.path("targets").forEach(target -> exprs.add(target.get("expr").asText()));
        }
        assertThat(exprs).isNotEmpty();
        return exprs;
    }

    private JsonNode variable(String name) {
        for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.get("name").asText().equals(name)) {
                return variable;
            }
        }
        throw new AssertionError("no dashboard variable " + name);
    }
}
