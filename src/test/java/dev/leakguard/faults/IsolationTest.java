package dev.leakguard.faults;

import static dev.leakguard.faults.FaultCluster.NS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.PodRisk;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.faults.FaultCluster.RunningOperator;
import dev.leakguard.testing.Poll;
import dev.leakguard.text.BoundedText;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Attacks on isolation: policies that try to send the operator to another host, a pod whose IP is
 * a host name, policies that try to reach pods of another namespace, and endpoints whose text tries
 * to inject lines or bulk into Events, annotations and status.
 */
class IsolationTest {
    private final FaultCluster cluster = new FaultCluster();

    @AfterEach
    void stop() {
        cluster.close();
    }

    /** Each attack as (field, value); {@code PORT} stands for the canary's port. */
    private static final List<String[]> PATH_ATTACKS = List.of(
            new String[] {"metrics.path", "http://127.0.0.1:PORT/metrics"},
            new String[] {"metrics.path", "//127.0.0.1:PORT/metrics"},
            new String[] {"metrics.path", "127.0.0.1:PORT/metrics"},
            new String[] {"metrics.path", "/../metrics"},
            new String[] {"metrics.path", "/metrics/%2e%2e/%2E%2E/admin"},
            new String[] {"metrics.path", "/%2e%2e%2fadmin"},
            new String[] {"metrics.path", "/@127.0.0.1:PORT/metrics"},
            new String[] {"metrics.path", "/metrics%40127.0.0.1:PORT"},
            new String[] {"metrics.path", "/\\\\127.0.0.1:PORT\\\\metrics"},
            new String[] {"metrics.path", "/metrics\\r\\nHost: 127.0.0.1:PORT"},
            new String[] {"metrics.path", "/metrics%00"},
            new String[] {"metrics.path", "/metrics#@127.0.0.1:PORT"},
            new String[] {"profile.path", "http://127.0.0.1:PORT/debug/pprof/goroutine"},
            new String[] {"profile.path", "/debug/%2E%2E/%2E%2E/pprof"});

    @Test
    void pathsThatNameAnotherHostOrClimbOutAreInvalidAndNothingIsRequested() {
        Canary elsewhere = cluster.closeLater(new Canary());
        Canary podEndpoint = cluster.closeLater(new Canary());
        cluster.pod(NS, "target", null, podEndpoint.port(), Map.of("app", "target"), cluster.clock.millis());
        RunningOperator operator = cluster.startOperator(FaultCluster.settings().build());
        List<String> names = new ArrayList<>();
        for (String[] attack : PATH_ATTACKS) {
            String name = "attack-" + names.size();
            names.add(name);
            String value = attack[1].replace("PORT", String.valueOf(elsewhere.port()));
            String field = attack[0].equals("metrics.path")
                    ? "metrics: {port: metrics, path: \"" + value + "\"}"
                    : "metrics: {port: metrics}\nprofile: {type: go, path: \"" + value + "\"}";
            cluster.createPolicy(name, "selector: {matchLabels: {app: target}}\n" + field + "\n");
        }

        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String[] attack = PATH_ATTACKS.get(i);
            LeakPolicy policy = Poll.until(Duration.ofSeconds(20), () -> cluster.policy(name),
                    p -> p.getStatus() != null && p.getStatus().getConditions() != null, "status of " + attack[1]);
            assertThat(policy.getStatus().getConditions().get(0).getReason()).as(attack[1]).isEqualTo("InvalidSpec");
            assertThat(policy.getStatus().getConditions().get(0).getMessage()).as(attack[1]).contains("spec." + attack[0]);
            assertClean(policy.getStatus().getConditions().get(0).getMessage(), 4096);
        }
        assertThat(operator.operator().snapshot()).isEmpty();
        assertThat(elsewhere.hits()).isZero();
        assertThat(podEndpoint.hits()).isZero();
    }

    @Test
    void aPodIpThatIsAHostNameIsNeverScraped() {
        Canary elsewhere = cluster.closeLater(new Canary());
        Pod pod = cluster.pod(NS, "named", null, elsewhere.port(), Map.of("app", "named"), cluster.clock.millis());
        cluster.client.pods().inNamespace(NS).resource(new PodBuilder(pod).editStatus().withPodIP("localhost").endStatus().build())
                .updateStatus();
        cluster.startOperator(FaultCluster.settings().build());
        cluster.createPolicy("named", """
                selector: {matchLabels: {app: named}}
                metrics: {port: metrics}
                """);

        PodRisk risk = Poll.until(Duration.ofSeconds(20), () -> firstRisk("named"), r -> r != null, "the pod in status");
        assertThat(risk.getVerdict()).isEqualTo("unknown");
        assertThat(risk.getMessage()).contains("'localhost' is not an IPv4 or IPv6 address");
        assertThat(elsewhere.hits()).isZero();
    }

    @Test
    void aPolicySelectsPodsOfItsOwnNamespaceOnly() {
        cluster.namespace("team-a");
        cluster.namespace("team-b");
        cluster.namespace("team-c");
        SimulatedContainer ours = cluster.container(SimulatedContainer.Behaviour.GO_STEADY, 1);
        Canary theirs = cluster.closeLater(new Canary());
        Map<String, String> sameLabels = Map.of("app", "checkout", "team", "a");
        cluster.pod("team-a", "checkout-a", null, ours.port(), sameLabels, ours.startedMillis());
        cluster.pod("team-b", "checkout-b", null, theirs.port(), sameLabels, cluster.clock.millis());
        RunningOperator operator = cluster.startOperator(FaultCluster.settings().build());
        cluster.createPolicy("team-a", "checkout", """
                selector: {matchLabels: {app: checkout, team: a}}
                metrics: {port: metrics}
                """);
        cluster.createPolicy("team-c", "looks-for-team-a", """
                selector: {matchExpressions: [{key: team, operator: In, values: [a]}], matchLabels: {app: checkout}}
                metrics: {port: metrics}
                """);

        Poll.until(Duration.ofSeconds(20), () -> operator.counter("leakguard_scrapes", "namespace", "team-a", "result", "success") >= 50,
                "team-a's pod scraped many times");
        assertThat(cluster.policy("team-a", "checkout").getStatus().getWatched()).isEqualTo(1);
        LeakPolicy elsewhere = Poll.until(Duration.ofSeconds(10), () -> cluster.policy("team-c", "looks-for-team-a"),
                p -> p.getStatus() != null && p.getStatus().getConditions() != null, "team-c's policy status");
        assertThat(elsewhere.getStatus().getWatched()).isZero();
        assertThat(elsewhere.getStatus().getConditions().get(0).getReason()).isEqualTo("NoPodsSelected");
        assertThat(theirs.hits()).as("requests to team-b's pod with the same labels").isZero();
        assertThat(cluster.pod("team-b", "checkout-b").getMetadata().getAnnotations()).isNullOrEmpty();
        assertThat(operator.operator().snapshot().values()).allSatisfy(views -> assertThat(views)
                .allSatisfy(view -> assertThat(view.pod().namespace()).isEqualTo("team-a")));
    }

    @Test
    void anOperatorLimitedToNamespacesIgnoresPoliciesElsewhere() {
        cluster.namespace("team-a");
        cluster.namespace("team-b");
        Canary theirs = cluster.closeLater(new Canary());
        cluster.pod("team-b", "checkout-b", null, theirs.port(), Map.of("app", "checkout"), cluster.clock.millis());
        RunningOperator operator = cluster.startOperator(FaultCluster.settings().namespaces(java.util.Set.of("team-a")).build());
        cluster.createPolicy("team-a", "watched", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics}
                """);
        cluster.createPolicy("team-b", "unwatched", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics}
                """);

        Poll.until(Duration.ofSeconds(20), () -> cluster.policy("team-a", "watched").getStatus() != null, "the watched policy's status");
        assertThat(cluster.policy("team-b", "unwatched").getStatus()).isNull();
        assertThat(theirs.hits()).isZero();
        assertThat(operator.operator().snapshot().keySet()).allSatisfy(key -> assertThat(key.namespace()).isEqualTo("team-a"));
    }

    /**
     * A leaking JVM pod whose thread dump (Actuator JSON, where names may hold any character) is
     * full of line breaks, terminal escapes, bidi overrides and 30 000-character names; a second
     * pod's exposition has them in a label. What reaches Events, annotations, status and the
     * evidence ConfigMap is bounded and holds none of them.
     */
    @Test
    void endpointTextReachesEventsAnnotationsAndStatusBoundedAndClean() {
        long started = cluster.clock.millis();
        ScriptedEndpoint hostile = hostileJvm(started);
        ScriptedEndpoint badLabel = cluster.closeLater(new ScriptedEndpoint(Map.of("/metrics", () -> "# TYPE process_resident_memory_bytes gauge\n"
                + "process_resident_memory_bytes{id=\"\u001b]0;owned\u0007\\n\u2028\u202e\"} oops\n")));
        ReplicaSet app = cluster.workload(NS, "billing", 2);
        cluster.pod(NS, "billing-hostile", app, hostile.port(), Map.of(), started);
        cluster.pod(NS, "billing-label", app, badLabel.port(), Map.of(), started);
        cluster.startOperator(FaultCluster.settings().build());
        cluster.createPolicy("billing", """
                selector: {matchLabels: {app: billing}}
                metrics: {port: metrics}
                profile: {type: jvm, path: /actuator/threaddump, topGroups: 20}
                action: {type: Evict, dryRun: true}
                """);

        List<Event> oom = Poll.until(Duration.ofSeconds(40), () -> cluster.events("billing-hostile", "OOMPredicted"),
                e -> !e.isEmpty(), "OOMPredicted on the hostile pod");
        List<Event> wouldRestart = Poll.until(Duration.ofSeconds(20), () -> cluster.events("billing-hostile", "WouldRestart"),
                e -> !e.isEmpty(), "the dry-run restart Event");
        List<Event> onPolicy = Poll.until(Duration.ofSeconds(20), () -> cluster.events("billing", "OOMPredicted"),
                e -> !e.isEmpty(), "OOMPredicted on the policy");
        for (Event event : List.of(oom.get(0), wouldRestart.get(0), onPolicy.get(0))) {
            assertThat(event.getMessage()).contains("evil");
            assertClean(event.getMessage(), BoundedText.EVENT_MESSAGE_MAX_BYTES);
        }

        PodRisk risk = Poll.until(Duration.ofSeconds(20), () -> risk("billing", "billing-hostile"),
                r -> r != null && !r.getTopGroups().isEmpty(), "top groups in status");
        assertThat(risk.getTopGroups()).anySatisfy(g -> assertThat(g).contains("evil"));
        risk.getTopGroups().forEach(group -> assertClean(group, 512));
        PodRisk label = Poll.until(Duration.ofSeconds(20), () -> risk("billing", "billing-label"),
                r -> r != null && "unknown".equals(r.getVerdict()), "the bad label's scrape error in status");
        assertClean(label.getMessage(), 300);
        assertThat(Serialization.asJson(cluster.policy("billing").getStatus()).length()).isLessThan(64 * 1024);

        Map<String, String> annotations = cluster.pod("billing-hostile").getMetadata().getAnnotations();
        annotations.values().forEach(value -> assertClean(value, 1024));
        ConfigMap evidence = Poll.until(Duration.ofSeconds(20),
                () -> cluster.client.configMaps().inNamespace(NS).withName("leakguard-evidence-billing-hostile").get(),
                cm -> cm != null, "the evidence ConfigMap");
        assertClean(evidence.getData().get("summary.txt"), 16 * 1024);
    }

    /** At most {@code maxBytes} of UTF-8, and no control, line-separating or bidi-formatting character. */
    private static void assertClean(String text, int maxBytes) {
        assertThat(text.getBytes(StandardCharsets.UTF_8).length).as("bytes of " + abbreviate(text)).isLessThanOrEqualTo(maxBytes);
        text.codePoints().forEach(c -> {
            int type = Character.getType(c);
            assertThat(type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR)
                    .as("U+%04X in %s", c, abbreviate(text)).isFalse();
        });
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }

    private PodRisk firstRisk(String policy) {
        LeakPolicy current = cluster.policy(policy);
        return current == null || current.getStatus() == null || current.getStatus().getRiskiestPods() == null
                || current.getStatus().getRiskiestPods().isEmpty() ? null : current.getStatus().getRiskiestPods().get(0);
    }

    private PodRisk risk(String policy, String pod) {
        LeakPolicy current = cluster.policy(policy);
        if (current == null || current.getStatus() == null || current.getStatus().getRiskiestPods() == null) {
            return null;
        }
        return current.getStatus().getRiskiestPods().stream().filter(r -> pod.equals(r.getPod())).findFirst().orElse(null);
    }

    /** A leaking pod whose thread dump's leaking group gains two threads a simulated minute; every name is hostile. */
    private ScriptedEndpoint hostileJvm(long startedMillis) {
        String evilName = "evil\nInjected: header\r\n\u001b[2J\u001b]0;owned\u0007\u202egnp.live\u2028\u2029\u0000"
                + "A".repeat(30_000) + "-";
        String evilClass = "com.evil\n.Leak\u001b[31m" + "B".repeat(30_000);
        return cluster.closeLater(new ScriptedEndpoint(Map.of(
                "/metrics", ScriptedEndpoint.leakingMemory(cluster.clock, startedMillis),
                "/actuator/threaddump", () -> {
                    StringBuilder json = new StringBuilder("{\"threads\":[");
                    long leaked = 5 + Math.round(2 * (cluster.clock.millis() - startedMillis) / 60_000.0);
                    for (long i = 0; i < leaked; i++) {
                        json.append(i == 0 ? "" : ",").append("{\"threadName\":").append(Serialization.asJson(evilName + i))
                                .append(",\"threadState\":\"WAITING\",\"stackTrace\":[{\"className\":")
                                .append(Serialization.asJson(evilClass)).append(",\"methodName\":\"run\u2028\"}]}");
                    }
                    return json.append("]}").toString();
                })));
    }
}
