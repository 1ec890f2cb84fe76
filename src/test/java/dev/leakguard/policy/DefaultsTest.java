package dev.leakguard.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicySpec;
import dev.leakguard.cli.AnalyzeCommand;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.operator.PolicyResolver;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.trend.DetectionSettings;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@link Defaults} is the one place a default is written; this checks that everything that states
 * or applies one agrees with it: the CRD's field descriptions (what {@code kubectl explain} shows),
 * the CRD classes' initial values, the resolver's fallback for a field set to null, the settings
 * records' {@code defaults()} and the options of {@code leakguard analyze}.
 */
class DefaultsTest {
    private static final JSONSchemaProps SPEC = committedSpecSchema();
    private static final LeakPolicySpec FRESH = new LeakPolicySpec();
    /** Every optional field explicitly null, so that the resolver, not the initialisers, supplies the defaults. */
    private static final ResolvedPolicy RESOLVED = resolve("""
            selector: {matchLabels: {app: x}}
            metrics: {port: metrics, source: null, path: null, interval: null, memory: null, enableCompression: null}
            profile: {type: null, topGroups: null}
            detection: {window: null, warmup: null, horizon: null}
            action: {type: null, dryRun: null, maxConcurrent: null, cooldown: null, maxRestartsPerHour: null}
            """);

    static Stream<Arguments> defaults() {
        return Stream.of(
                row("metrics.source", Defaults.SOURCE, FRESH.getMetrics().getSource(), RESOLVED.source()),
                row("metrics.path", Defaults.METRICS_PATH, FRESH.getMetrics().getPath(), RESOLVED.metricsPath()),
                row("metrics.interval", Defaults.INTERVAL, FRESH.getMetrics().getInterval(), RESOLVED.interval()),
                row("metrics.memory", Defaults.MEMORY_SERIES, FRESH.getMetrics().getMemory(), RESOLVED.memory()),
                row("metrics.enableCompression", Defaults.ENABLE_COMPRESSION, FRESH.getMetrics().getEnableCompression(),
                        RESOLVED.auth().compression()),
                row("profile.type", Defaults.PROFILE_TYPE, FRESH.getProfile().getType(), RESOLVED.profileType()),
                row("profile.topGroups", Defaults.TOP_GROUPS, FRESH.getProfile().getTopGroups(), RESOLVED.topGroups()),
                row("detection.window", Defaults.WINDOW, FRESH.getDetection().getWindow(), RESOLVED.detection().window()),
                row("detection.warmup", Defaults.WARMUP, FRESH.getDetection().getWarmup(), RESOLVED.detection().warmup()),
                row("detection.horizon", Defaults.HORIZON, FRESH.getDetection().getHorizon(),
                        RESOLVED.detection().horizon()),
                row("action.type", Defaults.ACTION_TYPE, FRESH.getAction().getType(), RESOLVED.restart().type()),
                row("action.dryRun", Defaults.DRY_RUN, FRESH.getAction().getDryRun(), RESOLVED.restart().dryRun()),
                row("action.maxConcurrent", Defaults.MAX_CONCURRENT, FRESH.getAction().getMaxConcurrent(), RESOLVED.restart().maxConcurrent()),
                row("action.cooldown", Defaults.COOLDOWN, FRESH.getAction().getCooldown(), RESOLVED.restart().cooldown()),
                row("action.maxRestartsPerHour", Defaults.MAX_RESTARTS_PER_HOUR, FRESH.getAction().getMaxRestartsPerHour(),
                        RESOLVED.restart().maxRestartsPerHour()));
    }

    /** {@code resolved} is text, a number, an enum or a parsed {@link Duration}; it is compared with {@code expected} read the same way. */
    private static Arguments row(String field, Object expected, Object initial, Object resolved) {
        return Arguments.of(field, String.valueOf(expected), String.valueOf(initial), resolved);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("defaults")
    void theCrdDescriptionTheInitialValueAndTheResolverStateTheSameDefault(String field, String expected, String initial,
                                                                          Object resolved) {
        assertThat(description(field)).as("CRD description of spec." + field).contains("Default " + expected + ".");
        assertThat(initial).as("initial value of spec." + field).isEqualTo(expected);
        Object wanted = resolved instanceof Duration ? Durations.parse(expected) : expected;
        assertThat(resolved instanceof Duration ? resolved : String.valueOf(resolved)).as("resolver's fallback for spec." + field)
                .isEqualTo(wanted);
    }

    @Test
    void profilePathsDefaultPerType() {
        assertThat(description("profile.path")).contains("go → " + Defaults.GO_PROFILE_PATH, "jvm → " + Defaults.JVM_PROFILE_PATH);
        assertThat(resolve("selector: {matchLabels: {app: x}}\nmetrics: {port: 9090}\nprofile: {type: go}").profilePath())
                .isEqualTo(Defaults.GO_PROFILE_PATH);
        assertThat(resolve("selector: {matchLabels: {app: x}}\nmetrics: {port: 9090}\nprofile: {type: jvm}").profilePath())
                .isEqualTo(Defaults.JVM_PROFILE_PATH);
    }

    @Test
    void theSettingsRecordsStartFromTheSameDefaults() {
        assertThat(RESOLVED.detection()).isEqualTo(DetectionSettings.defaults(Double.NaN));
        assertThat(RESOLVED.restart()).isEqualTo(RestartSettings.defaults());
    }

    /**
     * analyze's detection options have no defaults of their own (a --policy's values come between them and the
     * defaults); unset, they resolve through the operator's rules to the policy defaults, which its help quotes.
     */
    @Test
    void analyzeReplaysWithThePolicyDefaults() {
        CommandLine.Model.CommandSpec analyze = new CommandLine(new AnalyzeCommand()).getCommandSpec();
        for (String option : List.of("--window", "--warmup", "--horizon", "--interval")) {
            assertThat(analyze.findOption(option).defaultValue()).as(option).isNull();
        }
        assertThat(analyze.findOption("--window").description()[0]).contains(Defaults.WINDOW);
        assertThat(analyze.findOption("--interval").description()[0]).contains(Defaults.INTERVAL);
        assertThat(PolicyResolver.detection(null, null, null, null, "512Mi", PolicyResolver.DetectionFields.SPEC, new ArrayList<>()))
                .isEqualTo(DetectionSettings.defaults(512.0 * 1024 * 1024));
    }

    private static String description(String field) {
        String[] path = field.split("\\.");
        return SPEC.getProperties().get(path[0]).getProperties().get(path[1]).getDescription();
    }

    private static ResolvedPolicy resolve(String specYaml) {
        PolicyResolver.Result result = new PolicyResolver(PrometheusUrlAllowList.none()).resolve(TestPolicies.fromSpec("shop", "defaults", specYaml));
        assertThat(result).isInstanceOf(PolicyResolver.Valid.class);
        return ((PolicyResolver.Valid) result).policy();
    }

    private static JSONSchemaProps committedSpecSchema() {
        try {
            CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(Path.of("crds/leakpolicies.leakguard.dev-v1.yml")),
                    CustomResourceDefinition.class);
            return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
