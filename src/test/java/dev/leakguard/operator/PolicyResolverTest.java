package dev.leakguard.operator;

import dev.leakguard.policy.PrometheusUrlAllowList;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.RestartLoopRule;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.testing.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.Map;
import dev.leakguard.policy.ActionType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyResolverTest {
    private final PolicyResolver resolver = new PolicyResolver(PrometheusUrlAllowList.none());

    static Stream<Arguments> invalidSpecs() {
        return Stream.of(
                Arguments.of("empty selector", "selector: {}\nmetrics: {port: metrics}", "spec.selector must not be empty"),
                Arguments.of("missing selector", "metrics: {port: metrics}", "spec.selector must not be empty"),
                Arguments.of("missing port", "selector: {matchLabels: {a: b}}\nmetrics: {path: /metrics}", "spec.metrics.port is required"),
                Arguments.of("port out of range", "selector: {matchLabels: {a: b}}\nmetrics: {port: 70000}", "not a valid port number"),
                Arguments.of("container not a name", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, container: App_1}",
                        "spec.metrics.container must be a container name"),
                Arguments.of("container name too long", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, container: " + "a".repeat(64) + "}",
                        "at most 63"),
                Arguments.of("bad interval", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, interval: soon}", "spec.metrics.interval"),
                Arguments.of("interval below 1s", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, interval: 200ms}", "at least 1s"),
                Arguments.of("horizon longer than window", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090}\ndetection: {window: 10m, horizon: 20m}",
                        "must be shorter than spec.detection.window"),
                Arguments.of("window too short for interval", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, interval: 1m}\ndetection: {window: 5m, horizon: 1m}",
                        "at least 8 scrape intervals"),
                Arguments.of("bad memory limit", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090}\ndetection: {memoryLimit: lots}", "spec.detection.memoryLimit"),
                Arguments.of("bad selector syntax", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, memory: 'mem{area=heap'}", "spec.metrics.memory"),
                Arguments.of("path with host", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, path: 'http://evil.example/x'}", "spec.metrics.path"),
                Arguments.of("path traversal", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, path: '/../../secret'}", "spec.metrics.path"),
                Arguments.of("expression without values", "selector: {matchExpressions: [{key: app, operator: In}]}\nmetrics: {port: 9090}", "needs values"),
                Arguments.of("prometheus source without url", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, source: prometheus}", "--prometheus-url"),
                Arguments.of("profile port out of range", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090}\nprofile: {type: go, port: 0}",
                        "spec.profile.port 0 is not a valid port number"),
                Arguments.of("tlsConfig without https", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, tlsConfig: {serverName: a.b}}",
                        "spec.metrics.tlsConfig needs spec.metrics.scheme: https"),
                Arguments.of("ca from two places", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, scheme: https, tlsConfig: {ca: "
                        + "{configMap: {name: c, key: k}, secret: {name: c, key: k}}}}", "names exactly one of configMap and secret"),
                Arguments.of("server name with a path", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, scheme: https, tlsConfig: "
                        + "{serverName: 'evil.example/x'}}", "spec.metrics.tlsConfig.serverName must be a DNS name"),
                Arguments.of("bearer without credentials", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, authorization: {type: Bearer}}",
                        "spec.metrics.authorization.credentials is required"),
                Arguments.of("secret name that is no name", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090, authorization: "
                        + "{credentials: {name: '../x', key: token}}}", "spec.metrics.authorization.credentials.name"),
                Arguments.of("top groups too many", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090}\nprofile: {type: go, topGroups: 50}", "topGroups"),
                Arguments.of("cooldown unparsable", "selector: {matchLabels: {a: b}}\nmetrics: {port: 9090}\naction: {cooldown: 'ten minutes'}", "spec.action.cooldown"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void rejectsInvalidSpecsWithAClearMessage(String name, String spec, String expected) {
        PolicyResolver.Result result = resolver.resolve(policy(spec));
        assertThat(result).isInstanceOf(PolicyResolver.Invalid.class);
        assertThat(((PolicyResolver.Invalid) result).message()).contains(expected);
    }

    @Test
    void resolvesDefaults() {
        PolicyResolver.Result result = resolver.resolve(policy("selector: {matchLabels: {app: x}}\nmetrics: {port: metrics}"));
        assertThat(result).isInstanceOf(PolicyResolver.Valid.class);
        ResolvedPolicy policy = ((PolicyResolver.Valid) result).policy();
        assertThat(policy.metricsPath()).isEqualTo("/metrics");
        assertThat(policy.interval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(policy.detection().window()).isEqualTo(Duration.ofMinutes(30));
        assertThat(policy.detection().warmup()).isEqualTo(Duration.ofMinutes(5));
        assertThat(policy.detection().horizon()).isEqualTo(Duration.ofMinutes(15));
        assertThat(policy.memory().toString()).isEqualTo("process_resident_memory_bytes");
        assertThat(policy.hasThreads()).isFalse();
        assertThat(policy.hasProfile()).isFalse();
        assertThat(policy.detection().memoryLimitBytes()).isNaN();
        assertThat(policy.restart()).isEqualTo(new RestartSettings(ActionType.Annotate, false, 1, Duration.ofMinutes(10), 10,
                RestartLoopRule.DEFAULT));
    }

    @Test
    void resolvesProfileDefaultsPerType() {
        ResolvedPolicy go = ((PolicyResolver.Valid) resolver.resolve(policy(
                "selector: {matchLabels: {app: x}}\nmetrics: {port: 9090}\ndetection: {memoryLimit: 1Gi}\nprofile: {type: go}"))).policy();
        assertThat(go.profilePath()).isEqualTo("/debug/pprof/goroutine?debug=1");
        ResolvedPolicy jvm = ((PolicyResolver.Valid) resolver.resolve(policy(
                "selector: {matchLabels: {app: x}}\nmetrics: {port: 9090}\nprofile: {type: jvm}\ndetection: {memoryLimit: 512Mi}"))).policy();
        assertThat(jvm.profilePath()).isEqualTo("/actuator/threaddump");
        assertThat(jvm.detection().memoryLimitBytes()).isEqualTo(512.0 * 1024 * 1024);
    }

    /** enableCompression defaults to true; false reaches the access every scrape of the policy's pods is sent with. */
    @Test
    void enableCompressionDefaultsToTrueAndFalseIsCarriedToTheScrapeTarget() {
        assertThat(compressionOfTarget("{port: 9090}")).isTrue();
        assertThat(compressionOfTarget("{port: 9090, enableCompression: null}")).isTrue();
        assertThat(compressionOfTarget("{port: 9090, enableCompression: true}")).isTrue();
        assertThat(compressionOfTarget("{port: 9090, enableCompression: false}")).isFalse();
    }

    private boolean compressionOfTarget(String metrics) {
        ResolvedPolicy policy = ((PolicyResolver.Valid) resolver.resolve(policy("selector: {matchLabels: {app: x}}\nmetrics: " + metrics))).policy();
        // Plain http without credentials: the reader reads no object, so it needs no client.
        ScrapeAccess access = new ScrapeAccessReader(null, null).read("ns", policy.auth());
        Pod pod = TestPods.running("ns", "x-0", Map.of("app", "x"), 9090, "512Mi", Instant.parse("2026-01-01T00:00:00Z")).build();
        ScrapeTarget target = ((TargetResolver.Resolved) TargetResolver.resolve(policy, pod, access)).target();
        return target.access().compression();
    }

    private static LeakPolicy policy(String specYaml) {
        return Serialization.unmarshal("apiVersion: leakguard.dev/v1alpha1\nkind: LeakPolicy\nmetadata: {name: p, namespace: ns, generation: 3}\nspec:\n"
                + specYaml.indent(2), LeakPolicy.class);
    }
}
