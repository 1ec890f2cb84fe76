package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.testing.ExternalTool;
import dev.leakguard.testing.ProjectRoot;
import dev.leakguard.testing.RealKubernetes;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The LeakPolicy API as a real kube-apiserver serves it: the CRD from {@code crds/} is Established, the
 * shipped examples are accepted, its validation rules answer with the server's own messages, and kubectl
 * prints what the README shows.
 */
class LeakPolicyApiTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static String namespace;

    @BeforeAll
    static void install() {
        k8s.installLeakguard();
        namespace = k8s.namespace("api");
    }

    @Test
    void everyShippedExampleIsAcceptedByTheServer() throws IOException {
        List<Path> examples;
        // deploy/app-namespace: what a watched namespace adds (its NetworkPolicy, the Role for scrape Secrets).
        try (Stream<Path> files = Stream.concat(Files.list(ProjectRoot.PATH.resolve("deploy/examples")),
                Files.list(ProjectRoot.PATH.resolve("deploy/app-namespace")))) {
            examples = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(examples).isNotEmpty();
        for (Path example : examples) {
            Matcher ns = Pattern.compile("(?m)^\\s+namespace:\\s*(\\S+)").matcher(Files.readString(example));
            while (ns.find()) {
                k8s.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns.group(1)).endMetadata().build())
                        .createOr(existing -> existing.update());
            }
            ExternalTool.Result applied = k8s.kubectl("apply", "--dry-run=server", "-f", example.toString());
            assertThat(applied.exitCode()).as("kubectl apply --dry-run=server -f %s: %s", example.getFileName(), applied.output()).isZero();
        }
    }

    /** One invalid spec each, with the part of the server's answer that names the problem. */
    record Invalid(String name, String spec, String serverSays) {
    }

    @Test
    void theSchemaAndItsCelRulesRejectInvalidPoliciesWithTheServersOwnMessages() throws IOException {
        String valid = "selector: {matchLabels: {app: x}}\n  metrics: {port: metrics}";
        List<Invalid> cases = List.of(
                new Invalid("empty-selector", "selector: {}\n  metrics: {port: metrics}",
                        "selector must not be empty: name matchLabels or matchExpressions"),
                new Invalid("empty-match-labels", "selector: {matchLabels: {}}\n  metrics: {port: metrics}",
                        "selector must not be empty"),
                new Invalid("horizon-equals-window", valid + "\n  detection: {window: 30m, horizon: 30m}",
                        "horizon must be shorter than window"),
                new Invalid("horizon-longer-than-window", valid + "\n  detection: {window: 10m, horizon: 1h}",
                        "horizon must be shorter than window"),
                new Invalid("duration-in-days", valid + "\n  detection: {window: 1d}", "spec.detection.window"),
                new Invalid("unknown-action", valid + "\n  action: {type: Delete}", "Unsupported value: \"Delete\""),
                new Invalid("prometheus-url-not-http", valid.replace("{port: metrics}", "{port: metrics, prometheusUrl: 'file:///etc/passwd'}"),
                        "spec.metrics.prometheusUrl"),
                new Invalid("prometheus-url-with-user-info",
                        valid.replace("{port: metrics}", "{port: metrics, prometheusUrl: 'http://prometheus:9090@evil.example'}"),
                        "spec.metrics.prometheusUrl"),
                new Invalid("tls-without-https", valid.replace("{port: metrics}", "{port: metrics, tlsConfig: {serverName: checkout.shop.svc}}"),
                        "tlsConfig needs scheme: https"),
                new Invalid("ca-from-two-places", valid.replace("{port: metrics}", "{port: metrics, scheme: https, tlsConfig: {ca: "
                        + "{configMap: {name: ca, key: ca.crt}, secret: {name: ca, key: ca.crt}}}}"), "ca names exactly one of configMap and secret"),
                new Invalid("insecure-with-ca", valid.replace("{port: metrics}", "{port: metrics, scheme: https, tlsConfig: {insecureSkipVerify: true, "
                        + "ca: {secret: {name: ca, key: ca.crt}}}}"), "insecureSkipVerify verifies nothing"),
                new Invalid("bearer-without-credentials", valid.replace("{port: metrics}", "{port: metrics, authorization: {type: Bearer}}"),
                        "type Bearer needs credentials"),
                new Invalid("service-account-with-credentials", valid.replace("{port: metrics}",
                        "{port: metrics, authorization: {type: ServiceAccount, credentials: {name: t, key: token}}}"), "takes none"),
                new Invalid("no-metrics", "selector: {matchLabels: {app: x}}", "spec.metrics: Required value"));
        for (Invalid invalid : cases) {
            Path file = Files.createTempFile("leakpolicy-" + invalid.name(), ".yaml");
            Files.writeString(file, """
                    apiVersion: leakguard.dev/v1alpha1
                    kind: LeakPolicy
                    metadata: {name: %s, namespace: %s}
                    spec:
                      %s
                    """.formatted(invalid.name(), namespace, invalid.spec()));
            ExternalTool.Result applied = k8s.kubectl("apply", "-f", file.toString());
            Files.delete(file);
            assertThat(applied.exitCode()).as("%s must be refused; kubectl said: %s", invalid.name(), applied.output()).isNotZero();
            assertThat(applied.output()).as(invalid.name()).contains("The LeakPolicy \"" + invalid.name() + "\" is invalid")
                    .contains(invalid.serverSays());
        }
    }

    @Test
    void kubectlGetPrintsTheColumnsTheReadmeShows() throws IOException {
        Path file = Files.createTempFile("leakpolicy", ".yaml");
        Files.writeString(file, """
                apiVersion: leakguard.dev/v1alpha1
                kind: LeakPolicy
                metadata: {name: checkout-api, namespace: %s}
                spec:
                  selector: {matchLabels: {app: checkout-api}}
                  metrics: {port: metrics}
                """.formatted(namespace));
        assertThat(k8s.kubectl("apply", "-f", file.toString()).exitCode()).isZero();
        Files.delete(file);
        ExternalTool.Result patched = k8s.kubectl("patch", "lp", "checkout-api", "-n", namespace, "--subresource=status", "--type=merge",
                "-p", "{\"status\": {\"watched\": 3, \"leaking\": 1, \"restarts\": 2}}");
        assertThat(patched.exitCode()).as(patched.output()).isZero();

        ExternalTool.Result listed = k8s.kubectl("get", "lp", "-n", namespace);
        assertThat(listed.exitCode()).as(listed.output()).isZero();
        List<String> lines = listed.output().lines().toList();
        List<String> readme = readmeExample();
        assertThat(columns(lines.get(0))).as("header").isEqualTo(columns(readme.get(0)));
        List<String> row = columns(lines.get(1));
        assertThat(row).as("row").hasSize(5);
        assertThat(List.of(row.get(0), row.get(2), row.get(3), row.get(4))).containsExactly("checkout-api", "1", "2", "3");
    }

    @Test
    void kubectlExplainPrintsTheFieldDocs() {
        ExternalTool.Result explained = k8s.kubectl("explain", "leakpolicy.spec.detection");
        assertThat(explained.exitCode()).as(explained.output()).isZero();
        assertThat(explained.output()).contains("GROUP:      leakguard.dev", "window", "warmup", "horizon", "memoryLimit")
                .containsPattern("(?s)horizon.*predicted");
    }

    /** The `kubectl get lp` example in the README: its header and first row. */
    private static List<String> readmeExample() throws IOException {
        String readme = Files.readString(ProjectRoot.PATH.resolve("README.md"));
        Matcher block = Pattern.compile("\\$ kubectl get lp -n shop\\n(.*)\\n(.*)\\n").matcher(readme);
        assertThat(block.find()).as("README shows `$ kubectl get lp -n shop` output").isTrue();
        return List.of(block.group(1), block.group(2));
    }

    private static List<String> columns(String line) {
        return Arrays.asList(line.trim().split("\\s+"));
    }
}
