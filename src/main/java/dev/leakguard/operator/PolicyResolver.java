package dev.leakguard.operator;

import dev.leakguard.api.ActionSpec;
import dev.leakguard.api.Authorization;
import dev.leakguard.api.CaSource;
import dev.leakguard.api.DetectionSpec;
import dev.leakguard.api.KeySelector;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.LeakPolicySpec;
import dev.leakguard.api.MetricsSpec;
import dev.leakguard.api.ProfileSpec;
import dev.leakguard.api.TlsConfig;
import dev.leakguard.decide.PodSelector;
import dev.leakguard.decide.RestartLoopRule;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.engine.MetricsPort;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.kube.Refs;
import dev.leakguard.kube.Selectors;
import dev.leakguard.policy.ActionType;
import dev.leakguard.policy.AuthorizationType;
import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.Durations;
import dev.leakguard.policy.MetricsSource;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.policy.PrometheusUrlAllowList;
import dev.leakguard.policy.Quantities;
import dev.leakguard.policy.Scheme;
import dev.leakguard.policy.ScrapeAuth;
import dev.leakguard.scrape.ScrapeUrls;
import dev.leakguard.scrape.parse.SeriesSelector;
import dev.leakguard.trend.DetectionSettings;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Validates a LeakPolicy spec and resolves it. The CRD schema rejects what it can; this catches the
 * rest (and everything, when the CRD in a cluster is older than the operator), so that an invalid
 * policy is reported in status and an Event and nothing is scraped for it.
 */
public final class PolicyResolver {
    private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    /** A Kubernetes container name: an RFC 1123 label, as the CRD's pattern (which cannot bound the length) says. */
    private static final Pattern CONTAINER_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** A DNS subdomain: what Kubernetes object names and TLS server names are. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$");
    private static final Set<String> SELECTOR_OPERATORS = Set.of("In", "NotIn", "Exists", "DoesNotExist");

    private final PrometheusUrlAllowList prometheusServers;

    public PolicyResolver(PrometheusUrlAllowList prometheusServers) {
        this.prometheusServers = prometheusServers;
    }

    /** Either a resolved policy or the list of everything wrong with it. */
    public sealed interface Result permits Valid, Invalid {
    }

    public record Valid(ResolvedPolicy policy) implements Result {
    }

    public record Invalid(List<String> problems) implements Result {
        public String message() {
            return String.join("; ", problems);
        }
    }

    public Result resolve(LeakPolicy policy) {
        List<String> problems = new ArrayList<>();
        LeakPolicySpec spec = policy.getSpec();
        if (spec == null) {
            return new Invalid(List.of("spec is missing"));
        }
        PodSelector selector = Selectors.of(spec.getSelector());
        checkSelector(selector, problems);

        MetricsSpec metrics = spec.getMetrics() == null ? new MetricsSpec() : spec.getMetrics();
        MetricsPort port = port("spec.metrics.port", metrics.getPort(), problems);
        if (port == null && metrics.getPort() == null) {
            problems.add("spec.metrics.port is required (a container port name or number)");
        }
        if (port != null && metrics.getContainer() != null) {
            if (CONTAINER_NAME.matcher(metrics.getContainer()).matches()) {
                port = port.inContainer(metrics.getContainer());
            } else {
                problems.add("spec.metrics.container must be a container name (lower-case letters, digits and '-', at most 63), got '"
                        + metrics.getContainer() + "'");
            }
        }
        String metricsPath = orDefault(metrics.getPath(), Defaults.METRICS_PATH);
        checkPath("spec.metrics.path", metricsPath, problems);
        SeriesSelector memory = parse("spec.metrics.memory", orDefault(metrics.getMemory(), Defaults.MEMORY_SERIES),
                SeriesSelector::parse, problems);
        SeriesSelector threads = metrics.getThreads() == null || metrics.getThreads().isBlank() ? null
                : parse("spec.metrics.threads", metrics.getThreads(), SeriesSelector::parse, problems);
        MetricsSource source = metrics.getSource() == null ? Defaults.SOURCE_VALUE : metrics.getSource();
        String prometheusUrl = null;
        if (source == MetricsSource.prometheus) {
            prometheusUrl = prometheusServer(metrics.getPrometheusUrl(), problems);
        }

        ScrapeAuth auth = scrapeAuth(metrics, problems);

        ProfileSpec profile = spec.getProfile() == null ? new ProfileSpec() : spec.getProfile();
        ProfileType profileType = profile.getType() == null ? Defaults.PROFILE_TYPE_VALUE : profile.getType();
        String profilePath = profile.getPath() == null || profile.getPath().isBlank() ? profileType.defaultPath() : profile.getPath();
        MetricsPort profilePort = port;
        if (profileType != ProfileType.none) {
            checkPath("spec.profile.path", profilePath, problems);
            if (profile.getPort() != null) {
                profilePort = port("spec.profile.port", profile.getPort(), problems);
            }
        }
        int topGroups = profile.getTopGroups() == null ? Defaults.TOP_GROUPS : profile.getTopGroups();
        if (topGroups < 1 || topGroups > 20) {
            problems.add("spec.profile.topGroups must be between 1 and 20, got " + topGroups);
        }

        DetectionSpec detection = spec.getDetection() == null ? new DetectionSpec() : spec.getDetection();
        DetectionSettings detectionSettings = detection(metrics.getInterval(), detection.getWindow(), detection.getWarmup(),
                detection.getHorizon(), detection.getMemoryLimit(), DetectionFields.SPEC, problems);

        ActionSpec action = spec.getAction() == null ? new ActionSpec() : spec.getAction();
        ActionType actionType = action.getType() == null ? Defaults.ACTION_TYPE_VALUE : action.getType();
        int maxConcurrent = action.getMaxConcurrent() == null ? Defaults.MAX_CONCURRENT : action.getMaxConcurrent();
        if (maxConcurrent < 1) {
            problems.add("spec.action.maxConcurrent must be at least 1, got " + maxConcurrent);
        }
        Duration cooldown = parse("spec.action.cooldown", orDefault(action.getCooldown(), Defaults.COOLDOWN), Durations::parse, problems);
        int maxRestartsPerHour = action.getMaxRestartsPerHour() == null ? Defaults.MAX_RESTARTS_PER_HOUR : action.getMaxRestartsPerHour();
        if (maxRestartsPerHour < 0) {
            problems.add("spec.action.maxRestartsPerHour must not be negative, got " + maxRestartsPerHour);
        }

        if (!problems.isEmpty()) {
            return new Invalid(problems);
        }
        boolean dryRun = action.getDryRun() == null ? Defaults.DRY_RUN : action.getDryRun();
        RestartSettings restart = new RestartSettings(actionType, dryRun, maxConcurrent, cooldown, maxRestartsPerHour,
                RestartLoopRule.DEFAULT);
        return new Valid(new ResolvedPolicy(Refs.policyRef(policy), selector, source, prometheusUrl, port, metricsPath, memory, threads,
                profileType, profilePort, profilePath, topGroups, detectionSettings, restart, auth));
    }

    /** A container port by name or number; null (with the problem added) when the field is set but unusable, or null when unset. */
    private static MetricsPort port(String field, IntOrString spec, List<String> problems) {
        if (spec == null) {
            return null;
        }
        if (spec.getIntVal() != null) {
            if (spec.getIntVal() < 1 || spec.getIntVal() > 65535) {
                problems.add(field + " " + spec.getIntVal() + " is not a valid port number (1-65535)");
                return null;
            }
            return MetricsPort.numbered(spec.getIntVal());
        }
        if (spec.getStrVal() == null || spec.getStrVal().isBlank()) {
            problems.add(field + " is required (a container port name or number)");
            return null;
        }
        return MetricsPort.named(spec.getStrVal());
    }

    /**
     * scheme, tlsConfig and authorization, checked here too for clusters whose CRD is older than the operator, and
     * enableCompression.
     */
    private static ScrapeAuth scrapeAuth(MetricsSpec metrics, List<String> problems) {
        Scheme scheme = metrics.getScheme() == null ? Scheme.http : metrics.getScheme();
        TlsConfig tls = metrics.getTlsConfig();
        ScrapeAuth.KeyRef ca = null;
        String serverName = null;
        boolean insecure = false;
        if (tls != null) {
            if (scheme != Scheme.https) {
                problems.add("spec.metrics.tlsConfig needs spec.metrics.scheme: https");
            }
            ca = caRef(tls.getCa(), problems);
            serverName = tls.getServerName() == null || tls.getServerName().isBlank() ? null : tls.getServerName();
            if (serverName != null && !DNS_SUBDOMAIN.matcher(serverName).matches()) {
                problems.add("spec.metrics.tlsConfig.serverName must be a DNS name, got '" + serverName + "'");
            }
            insecure = Boolean.TRUE.equals(tls.getInsecureSkipVerify());
            if (insecure && ca != null) {
                problems.add("spec.metrics.tlsConfig: insecureSkipVerify verifies nothing, so ca would be ignored: set one or the other");
            }
        }
        Authorization authorization = metrics.getAuthorization();
        ScrapeAuth.KeyRef token = null;
        boolean serviceAccount = false;
        if (authorization != null) {
            serviceAccount = authorization.getType() == AuthorizationType.ServiceAccount;
            if (serviceAccount && authorization.getCredentials() != null) {
                problems.add("spec.metrics.authorization: type ServiceAccount sends the operator's own token and takes no credentials");
            } else if (!serviceAccount) {
                token = keyRef("spec.metrics.authorization.credentials", ScrapeAuth.KeyRef.Kind.Secret, authorization.getCredentials(), problems);
                if (token == null && authorization.getCredentials() == null) {
                    problems.add("spec.metrics.authorization.credentials is required for type Bearer (the Secret key holding the token)");
                }
            }
        }
        boolean compression = metrics.getEnableCompression() == null ? Defaults.ENABLE_COMPRESSION : metrics.getEnableCompression();
        return new ScrapeAuth(scheme, ca, serverName, insecure, token, serviceAccount, compression);
    }

    private static ScrapeAuth.KeyRef caRef(CaSource ca, List<String> problems) {
        if (ca == null) {
            return null;
        }
        if ((ca.getConfigMap() == null) == (ca.getSecret() == null)) {
            problems.add("spec.metrics.tlsConfig.ca names exactly one of configMap and secret");
            return null;
        }
        return ca.getConfigMap() != null
                ? keyRef("spec.metrics.tlsConfig.ca.configMap", ScrapeAuth.KeyRef.Kind.ConfigMap, ca.getConfigMap(), problems)
                : keyRef("spec.metrics.tlsConfig.ca.secret", ScrapeAuth.KeyRef.Kind.Secret, ca.getSecret(), problems);
    }

    private static ScrapeAuth.KeyRef keyRef(String field, ScrapeAuth.KeyRef.Kind kind, KeySelector selector, List<String> problems) {
        if (selector == null) {
            return null;
        }
        if (selector.getName() == null || !DNS_SUBDOMAIN.matcher(selector.getName()).matches()) {
            problems.add(field + ".name must be the name of a " + kind + " in the policy's namespace");
            return null;
        }
        if (selector.getKey() == null || selector.getKey().isBlank()) {
            problems.add(field + ".key is required");
            return null;
        }
        return new ScrapeAuth.KeyRef(kind, selector.getName(), selector.getKey());
    }

    /** What the detection fields are called where they were written: in a LeakPolicy, or on analyze's command line. */
    public record DetectionFields(String interval, String window, String warmup, String horizon, String memoryLimit) {
        public static final DetectionFields SPEC = new DetectionFields("spec.metrics.interval", "spec.detection.window",
                "spec.detection.warmup", "spec.detection.horizon", "spec.detection.memoryLimit");
    }

    /**
     * The detection rules, one set for the operator and for {@code leakguard analyze}, so a backtest
     * accepts exactly the settings the operator would run with. Empty texts take {@link Defaults};
     * an empty memory limit is unknown (NaN). Returns null, with the problems added, when a rule is broken.
     */
    public static DetectionSettings detection(String intervalText, String windowText, String warmupText, String horizonText,
                                              String memoryLimitText, DetectionFields fields, List<String> problems) {
        int before = problems.size();
        Duration interval = parse(fields.interval(), orDefault(intervalText, Defaults.INTERVAL), Durations::parse, problems);
        if (interval != null && interval.compareTo(MIN_INTERVAL) < 0) {
            problems.add(fields.interval() + " must be at least 1s, got " + Durations.format(interval));
        }
        Duration window = parse(fields.window(), orDefault(windowText, Defaults.WINDOW), Durations::parse, problems);
        Duration warmup = parse(fields.warmup(), orDefault(warmupText, Defaults.WARMUP), Durations::parse, problems);
        Duration horizon = parse(fields.horizon(), orDefault(horizonText, Defaults.HORIZON), Durations::parse, problems);
        if (window != null && horizon != null && horizon.compareTo(window) >= 0) {
            problems.add(fields.horizon() + " (" + Durations.format(horizon) + ") must be shorter than " + fields.window() + " ("
                    + Durations.format(window) + "): a trend cannot be extrapolated further than it was observed");
        }
        if (window != null && interval != null && window.compareTo(interval.multipliedBy(8)) < 0) {
            problems.add(fields.window() + " (" + Durations.format(window) + ") must hold at least 8 scrape intervals ("
                    + Durations.format(interval) + " each)");
        }
        double memoryLimit = Double.NaN;
        if (memoryLimitText != null && !memoryLimitText.isBlank()) {
            Double parsed = parse(fields.memoryLimit(), memoryLimitText, Quantities::parseBytes, problems);
            if (parsed != null && Double.isInfinite(parsed)) {
                problems.add(fields.memoryLimit() + " is too large: " + memoryLimitText);
            }
            memoryLimit = parsed == null ? Double.NaN : parsed;
        }
        if (problems.size() > before) {
            return null;
        }
        try {
            return new DetectionSettings(window, warmup, horizon, interval, memoryLimit);
        } catch (IllegalArgumentException e) {
            problems.add("detection: " + e.getMessage());
            return null;
        }
    }

    private static void checkSelector(PodSelector selector, List<String> problems) {
        if (selector.isEmpty()) {
            problems.add("spec.selector must not be empty: name matchLabels or matchExpressions (an empty selector would watch every pod)");
            return;
        }
        for (PodSelector.Requirement r : selector.matchExpressions()) {
            if (r.key() == null || r.key().isBlank() || !SELECTOR_OPERATORS.contains(r.operator())) {
                problems.add("spec.selector.matchExpressions: each needs a key and an operator In, NotIn, Exists or DoesNotExist");
            } else if ((r.operator().equals("In") || r.operator().equals("NotIn")) && r.values().isEmpty()) {
                problems.add("spec.selector.matchExpressions: operator " + r.operator() + " on '" + r.key() + "' needs values");
            }
        }
    }

    private static void checkPath(String field, String path, List<String> problems) {
        String error = ScrapeUrls.validatePath(path);
        if (error != null) {
            problems.add(field + ": " + error);
        }
    }

    /**
     * The server a prometheus-source policy reads: its own prometheusUrl only when the operator allows
     * that URL (never fetched otherwise), else the operator's --prometheus-url.
     */
    private String prometheusServer(String requested, List<String> problems) {
        if (requested != null && !requested.isBlank()) {
            try {
                return prometheusServers.permit(requested);
            } catch (IllegalArgumentException e) {
                problems.add("spec.metrics.prometheusUrl: " + e.getMessage());
                return null;
            }
        }
        if (prometheusServers.defaultUrl() == null) {
            problems.add("spec.metrics.source is prometheus but neither spec.metrics.prometheusUrl nor the operator's "
                    + PrometheusUrlAllowList.DEFAULT_FLAG + " is set");
        }
        return prometheusServers.defaultUrl();
    }

    private static <T> T parse(String field, String text, Function<String, T> parser, List<String> problems) {
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            problems.add(field + ": " + e.getMessage());
            return null;
        }
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
