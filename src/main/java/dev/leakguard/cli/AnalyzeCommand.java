package dev.leakguard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leakguard.api.DetectionSpec;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.MetricsSpec;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.operator.PolicyResolver;
import dev.leakguard.operator.PrometheusHistory;
import dev.leakguard.operator.PrometheusPodLabels;
import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.Durations;
import dev.leakguard.policy.PrometheusUrlAllowList;
import dev.leakguard.trend.DetectionSettings;
import dev.leakguard.trend.Sample;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code leakguard analyze}: a backtest. Replays a recorded series (a CSV file) or each selected
 * pod's series from a live Prometheus through the operator's detector with the operator's settings,
 * validated by the operator's own rules ({@link PolicyResolver}), and reports when it would have
 * restarted, when it predicted the OOM, when the limit was really crossed and, with
 * kube-state-metrics, which real OOM kills a restart would have come before.
 */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Backtest leakguard's leak detector: replay a recorded memory series (--input, CSV: "
                + "timestamp_seconds,memory_bytes[,threads]) or each pod's series in a Prometheus (--prometheus-url with --policy) "
                + "and report when it would have restarted the pod, when it predicted the OOM and when the limit was crossed.",
            "Settings come from --policy (a LeakPolicy YAML), then the options below, then the LeakPolicy defaults, "
                + "and are checked by the same rules as the operator's."})
public final class AnalyzeCommand implements Callable<Integer> {

    static final int EXIT_BAD_INPUT = 2;
    /** Prometheus could not be read. */
    static final int EXIT_UNAVAILABLE = 3;
    private static final PolicyResolver.DetectionFields OPTIONS =
            new PolicyResolver.DetectionFields("--interval", "--window", "--warmup", "--horizon", "--memory-limit");

    @Spec
    CommandSpec spec;

    @Option(names = "--input", paramLabel = "FILE", description = "CSV trace to replay.")
    Path input;

    @Option(names = "--prometheus-url", paramLabel = "URL",
            description = "Read the pods' series over --since from this Prometheus-compatible API instead of a file.")
    String prometheusUrl;

    @Option(names = "--policy", paramLabel = "FILE",
            description = "A LeakPolicy manifest (YAML): its namespace, metrics and detection settings. Required with --prometheus-url.")
    Path policyFile;

    @Option(names = "--selector", paramLabel = "MATCHERS",
            description = "PromQL label matchers narrowing the pods, e.g. 'pod=~\"checkout-.*\"'.")
    String selector;

    @Option(names = "--since", defaultValue = "24h", paramLabel = "DURATION",
            description = "How far back to read from Prometheus (default: ${DEFAULT-VALUE}; units ms, s, m, h).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "End of the range read from Prometheus, e.g. 2026-12-03T06:00:00Z (default: now).")
    String until;

    @Option(names = "--memory-limit", paramLabel = "QUANTITY",
            description = "The container's memory limit, e.g. 512Mi (default: the policy's, else kube-state-metrics').")
    String memoryLimit;

    @Option(names = "--window", description = "Trend window (default: the policy's, else " + Defaults.WINDOW + ").")
    String window;

    @Option(names = "--horizon", description = "Act when the limit is predicted within this (default: the policy's, else "
            + Defaults.HORIZON + ").")
    String horizon;

    @Option(names = "--warmup", description = "Ignore this long after the container starts (default: the policy's, else "
            + Defaults.WARMUP + ").")
    String warmup;

    @Option(names = "--interval", description = "Scrape interval (default: the policy's, else " + Defaults.INTERVAL + ").")
    String interval;

    @Option(names = "--plot", paramLabel = "PATH",
            description = "Draw the backtest as SVG: a file with --input, a directory (one file per pod) with --prometheus-url.")
    Path plot;

    @Option(names = "--output", defaultValue = "text", paramLabel = "text|json",
            description = "text (default) or json.")
    String output;

    @Option(names = "--memory-column", defaultValue = TraceCsv.MEMORY_COLUMN, paramLabel = "NAME",
            description = "Column holding memory in bytes (default: ${DEFAULT-VALUE}).")
    String memoryColumn;

    @Option(names = "--threads-column", paramLabel = "NAME",
            description = "Column holding the thread/goroutine count (default: threads, if present).")
    String threadsColumn;

    Clock clock = Clock.systemUTC();

    /** A problem with what the user gave us: one line, exit 2. */
    private static final class BadInput extends Exception {
        BadInput(String message) {
            super(message);
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            if (!output.equals("text") && !output.equals("json")) {
                throw new BadInput("--output must be text or json, got '" + output + "'");
            }
            if ((input == null) == (prometheusUrl == null)) {
                throw new BadInput("give either --input FILE or --prometheus-url URL (with --policy FILE)");
            }
            LeakPolicy policy = policyFile == null ? null : readPolicy();
            if (input != null) {
                return fromFile(policy, out);
            }
            if (policy == null) {
                throw new BadInput("--prometheus-url needs --policy FILE: the policy names the namespace and the memory series");
            }
            return fromPrometheus(policy, out);
        } catch (BadInput e) {
            err.println("leakguard analyze: " + e.getMessage());
            return EXIT_BAD_INPUT;
        } catch (PrometheusHistory.Unavailable e) {
            err.println("leakguard analyze: " + e.getMessage());
            return EXIT_UNAVAILABLE;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int fromFile(LeakPolicy policy, PrintWriter out) throws IOException, BadInput {
        DetectionSettings settings = settings(policy);
        if (!settings.limitKnown()) {
            throw new BadInput("--memory-limit is required with --input (or set spec.detection.memoryLimit in --policy)");
        }
        TraceCsv.Series series = read();
        List<Sample> samples = new ArrayList<>(series.size());
        long containerStart = Math.round(series.timestampSeconds()[0] * 1000);
        for (int k = 0; k < series.size(); k++) {
            double threads = series.threads() == null ? Double.NaN : series.threads()[k];
            samples.add(new Sample(Math.round(series.timestampSeconds()[k] * 1000), series.memoryBytes()[k], threads, containerStart, -1));
        }
        Backtest backtest = Backtest.replay(samples, settings, List.of());
        if (plot != null) {
            Files.writeString(plot, SvgChart.render(backtest, "leakguard backtest: " + input.getFileName()), StandardCharsets.UTF_8);
        }
        if (output.equals("json")) {
            out.println(new ObjectMapper().writeValueAsString(BacktestReport.json(backtest)));
        } else {
            out.print(BacktestReport.text(backtest));
        }
        return 0;
    }

    private int fromPrometheus(LeakPolicy policy, PrintWriter out) throws IOException, BadInput, PrometheusHistory.Unavailable {
        DetectionSettings settings = settings(policy);
        // The backtest reads from --prometheus-url whatever server the policy names, so both are allowed here.
        String policyUrl = policy.getSpec().getMetrics() == null ? null : policy.getSpec().getMetrics().getPrometheusUrl();
        PrometheusUrlAllowList servers;
        try {
            servers = PrometheusUrlAllowList.of(prometheusUrl, policyUrl == null ? List.of() : List.of(policyUrl));
        } catch (IllegalArgumentException e) {
            throw new BadInput(e.getMessage());
        }
        PolicyResolver.Result resolved = new PolicyResolver(servers).resolve(policy);
        if (resolved instanceof PolicyResolver.Invalid invalid) {
            throw new BadInput(policyFile + ": " + invalid.message());
        }
        ResolvedPolicy resolvedPolicy = ((PolicyResolver.Valid) resolved).policy();
        long end = endMillis();
        long start = end - duration("--since", since).toMillis();
        if (plot != null) {
            Files.createDirectories(plot);
        }
        List<Map<String, Object>> pods = new ArrayList<>();
        BacktestTable table = new BacktestTable();
        try (PrometheusHistory history = new PrometheusHistory(prometheusUrl, PrometheusPodLabels.defaults())) {
            List<PodKey> keys = history.pods(resolvedPolicy, selector, start, end);
            if (keys.isEmpty()) {
                throw new PrometheusHistory.Unavailable("no pod in namespace " + resolvedPolicy.ref().namespace() + " has "
                        + resolvedPolicy.memory() + (selector == null ? "" : " matching " + selector) + " between "
                        + Instant.ofEpochMilli(start) + " and " + Instant.ofEpochMilli(end));
            }
            for (PodKey pod : keys) {
                DetectionSettings podSettings = settings.limitKnown() ? settings
                        : settings.withMemoryLimitBytes(history.memoryLimit(pod, start, end));
                List<Sample> samples = history.samples(resolvedPolicy, pod, start, end);
                if (samples.isEmpty() || !podSettings.limitKnown()) {
                    table.skipped(pod, samples.isEmpty() ? "no fresh samples" : "no memory limit known (give --memory-limit)");
                    continue;
                }
                Backtest backtest = Backtest.replay(samples, podSettings,
                        history.oomKills(pod, start, end, resolvedPolicy.interval()));
                table.add(pod, backtest);
                if (plot != null) {
                    Files.writeString(plot.resolve(pod.namespace() + "_" + pod.name() + ".svg"),
                            SvgChart.render(backtest, pod.namespace() + "/" + pod.name()), StandardCharsets.UTF_8);
                }
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("namespace", pod.namespace());
                json.put("pod", pod.name());
                json.putAll(BacktestReport.json(backtest));
                pods.add(json);
            }
        }
        if (output.equals("json")) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("startSeconds", start / 1000.0);
            json.put("endSeconds", end / 1000.0);
            json.put("ooms", table.ooms());
            json.put("oomsPrevented", table.prevented());
            json.put("actionsWithoutOom", table.withoutOom());
            json.put("pods", pods);
            out.println(new ObjectMapper().writeValueAsString(json));
        } else {
            out.print(table.text());
        }
        return 0;
    }

    /** The detection settings: options over the policy over the defaults, by the operator's rules. */
    private DetectionSettings settings(LeakPolicy policy) throws BadInput {
        MetricsSpec metrics = policy == null || policy.getSpec().getMetrics() == null ? new MetricsSpec() : policy.getSpec().getMetrics();
        DetectionSpec detection = policy == null || policy.getSpec().getDetection() == null ? new DetectionSpec()
                : policy.getSpec().getDetection();
        List<String> problems = new ArrayList<>();
        DetectionSettings settings = PolicyResolver.detection(or(interval, metrics.getInterval()), or(window, detection.getWindow()),
                or(warmup, detection.getWarmup()), or(horizon, detection.getHorizon()), or(memoryLimit, detection.getMemoryLimit()),
                OPTIONS, problems);
        if (settings == null) {
            throw new BadInput(String.join("; ", problems));
        }
        return settings;
    }

    private static String or(String option, String fromPolicy) {
        return option != null ? option : fromPolicy;
    }

    private LeakPolicy readPolicy() throws IOException, BadInput {
        String yaml;
        try {
            yaml = Files.readString(policyFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadInput("no such file " + policyFile);
        }
        LeakPolicy policy;
        try {
            policy = Serialization.unmarshal(yaml, LeakPolicy.class);
        } catch (RuntimeException e) {
            throw new BadInput(policyFile + " is not a LeakPolicy: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (policy == null || policy.getSpec() == null) {
            throw new BadInput(policyFile + " has no LeakPolicy spec");
        }
        if (policy.getMetadata() == null || policy.getMetadata().getNamespace() == null) {
            throw new BadInput(policyFile + ": metadata.namespace is required (the pods are looked up in it)");
        }
        return policy;
    }

    private long endMillis() throws BadInput {
        if (until == null) {
            return clock.millis();
        }
        try {
            return Instant.parse(until).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new BadInput("--until '" + until + "' is not a time like 2026-12-03T06:00:00Z");
        }
    }

    private static Duration duration(String option, String text) throws BadInput {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new BadInput(option + ": " + e.getMessage());
        }
    }

    private TraceCsv.Series read() throws IOException, BadInput {
        try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            return threadsColumn == null
                    ? TraceCsv.read(reader, memoryColumn, TraceCsv.THREADS_COLUMN, false)
                    : TraceCsv.read(reader, memoryColumn, threadsColumn, true);
        } catch (TraceCsv.FormatException e) {
            throw new BadInput(input + ": " + e.getMessage());
        } catch (NoSuchFileException e) {
            throw new BadInput("no such file " + input);
        }
    }

    /** The live backtest's per-pod table and its one-line score. */
    private static final class BacktestTable {
        private final StringBuilder rows = new StringBuilder(String.format("%-40s %8s %-10s %-22s %-22s %-22s %s%n",
                "POD", "SAMPLES", "VERDICT", "WOULD RESTART AT", "PREDICTED OOM", "LIMIT CROSSED", "OOM KILLS (PREVENTED)"));
        private int ooms;
        private int prevented;
        private int withoutOom;

        void add(PodKey pod, Backtest backtest) {
            Backtest.Action first = backtest.firstAction();
            rows.append(String.format("%-40s %8d %-10s %-22s %-22s %-22s %d (%d)%n", pod.namespace() + "/" + pod.name(),
                    backtest.samples().size(), PodAnnotations.verdictLabel(backtest.verdict()),
                    first == null ? "-" : utc(first.atMillis()), first == null ? "-" : utc(first.predictedOomMillis()),
                    backtest.limitCrossing() == null ? "-" : utc(backtest.limitCrossing().timestampMillis()),
                    backtest.ooms().size(), backtest.oomsPrevented()));
            ooms += backtest.ooms().size();
            prevented += backtest.oomsPrevented();
            withoutOom += backtest.actionsWithoutOom();
        }

        void skipped(PodKey pod, String why) {
            rows.append(String.format("%-40s skipped: %s%n", pod.namespace() + "/" + pod.name(), why));
        }

        int ooms() {
            return ooms;
        }

        int prevented() {
            return prevented;
        }

        int withoutOom() {
            return withoutOom;
        }

        String text() {
            return rows + "would have prevented " + prevented + " of " + ooms + " OOM kills; " + withoutOom
                    + " restarts with no OOM kill after them\n";
        }

        private static String utc(long millis) {
            return BacktestReport.utc(millis);
        }
    }
}
