package dev.leakguard.bench.detection;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leakguard.policy.Durations;
import dev.leakguard.trend.DetectionSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replays the synthetic corpus and the recorded traces through leakguard and the Prometheus
 * baselines, online, and writes {@code target/detection-report.md} and {@code .json}.
 *
 * <pre>mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.bench.detection.DetectionBenchmark -Dbench.args=""</pre>
 * {@code -Dbench.args="--seed 7"} replays another corpus; 7 is the seed the detector is tuned on.
 * The default {@value #EVALUATION_SEED} is held out: it is run only to write the report, never
 * while changing the detector (20261101 and 20261203–20261208, the evaluation seeds of rounds 1–8,
 * have been looked at too often to count as held out).
 */
public final class DetectionBenchmark {

    static final long EVALUATION_SEED = 20261209;
    static final DetectionSettings SETTINGS = new DetectionSettings(Duration.ofMinutes(30), Duration.ofMinutes(5),
            Duration.ofMinutes(15), Duration.ofSeconds(15), Double.NaN);
    static final String TOTAL = "total";

    private DetectionBenchmark() {
    }

    /**
     * A trace with the settings it is replayed under: {@link #SETTINGS} for the generated corpus,
     * each recording's own for {@link RecordedTraces}.
     */
    record Case(Trace trace, DetectionSettings settings) {
    }

    public static void main(String[] args) throws IOException {
        long seed = args.length >= 2 && args[0].equals("--seed") ? Long.parseLong(args[1]) : EVALUATION_SEED;
        List<Case> cases = new ArrayList<>();
        for (Trace trace : new TraceGenerator(seed).generate()) {
            cases.add(new Case(trace, SETTINGS));
        }
        cases.addAll(RecordedTraces.load());
        List<Policy> policies = List.of(Policy.leakguard(),
                Policy.predictLinear("predict_linear 30m", 1),
                Policy.predictLinear("predict_linear 6h", 12),
                Policy.fixedThreshold("90% of limit", 0.9));

        Map<String, Map<String, Tally>> byPolicy = new LinkedHashMap<>();
        Map<Case, Map<String, Outcome>> recordedByCase = new LinkedHashMap<>();
        for (Policy policy : policies) {
            Map<String, Tally> byFamily = new LinkedHashMap<>();
            for (Case replayed : cases) {
                Outcome outcome = Outcome.of(replayed.trace(), policy.replay(replayed.trace(), replayed.settings()),
                        replayed.settings());
                byFamily.computeIfAbsent(replayed.trace().family(), f -> new Tally()).add(outcome);
                byFamily.computeIfAbsent(TOTAL, f -> new Tally()).add(outcome);
                if (replayed.trace().family().equals(RecordedTraces.FAMILY)) {
                    recordedByCase.computeIfAbsent(replayed, c -> new LinkedHashMap<>())
                            .put(policy.name(), outcome);
                }
            }
            byFamily.put(TOTAL, byFamily.remove(TOTAL));
            byPolicy.put(policy.name(), byFamily);
        }
        Report report = new Report(seed, cases.size(), byPolicy, recordedByCase);
        Path target = Path.of("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("detection-report.md"), report.markdown());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(target.resolve("detection-report.json").toFile(), report.json());
        System.out.println(report.markdown());
    }

    /**
     * What one policy did on one trace. {@code leadFraction}: the lead over the trace's own horizon.
     * {@code ratio} and {@code ratioLower}: the predicted time to limit at the first valid action
     * over the time really left then (1 = exact, below 1 = early).
     */
    record Outcome(boolean reaches, boolean falseAction, boolean eligible, boolean missed, double leadSeconds,
                   double leadFraction, double delaySeconds, double ratio, double ratioLower) {

        /**
         * An action before the leak's onset, or on a trace that never reaches its limit, is a false
         * action. A miss is "eligible" only if the limit is reached after warm-up plus two thirds of
         * the window, counted from the start of the container that reaches it.
         */
        static Outcome of(Trace trace, Policy.Replay replay, DetectionSettings settings) {
            boolean[] act = replay.act();
            long onset = trace.reachesLimit() ? trace.leakOnsetMillis() : Long.MAX_VALUE;
            boolean falseAction = false;
            long firstValid = -1;
            int firstValidIndex = -1;
            for (int k = 0; k < act.length; k++) {
                if (!act[k]) {
                    continue;
                }
                long t = trace.timestampMillis()[k];
                if (t < onset) {
                    falseAction = true;
                } else if (firstValid < 0) {
                    firstValid = t;
                    firstValidIndex = k;
                }
            }
            boolean reaches = trace.reachesLimit();
            long minimumObservationMillis = settings.warmup().plus(settings.window().multipliedBy(2).dividedBy(3)).toMillis();
            boolean eligible = reaches && trace.limitReachedMillis() - trace.segmentStartMillis() >= minimumObservationMillis;
            boolean missed = reaches && firstValid < 0;
            double lead = reaches && firstValid >= 0 ? (trace.limitReachedMillis() - firstValid) / 1000.0 : Double.NaN;
            double delay = reaches && firstValid >= 0 ? (firstValid - trace.leakOnsetMillis()) / 1000.0 : Double.NaN;
            double ratio = Double.NaN;
            double ratioLower = Double.NaN;
            if (reaches && firstValid >= 0 && replay.secondsToLimit() != null) {
                ratio = replay.secondsToLimit()[firstValidIndex] / lead;
                ratioLower = replay.secondsToLimitLower()[firstValidIndex] / lead;
            }
            return new Outcome(reaches, falseAction, eligible, missed, lead, lead / settings.horizon().toSeconds(), delay,
                    ratio, ratioLower);
        }
    }

    /** Sums of outcomes for one policy and one family. */
    static final class Tally {
        int traces;
        int reaching;
        int falseActions;
        int falseActionsOnNeverReaching;
        int missed;
        int missedEligible;
        final List<Double> leads = new ArrayList<>();
        final List<Double> leadFractions = new ArrayList<>();
        final List<Double> delays = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        final List<Double> ratiosLower = new ArrayList<>();

        void add(Outcome outcome) {
            traces++;
            if (outcome.reaches()) {
                reaching++;
            }
            if (outcome.falseAction()) {
                falseActions++;
                if (!outcome.reaches()) {
                    falseActionsOnNeverReaching++;
                }
            }
            if (outcome.missed()) {
                missed++;
                if (outcome.eligible()) {
                    missedEligible++;
                }
            }
            if (!Double.isNaN(outcome.leadSeconds())) {
                leads.add(outcome.leadSeconds());
                leadFractions.add(outcome.leadFraction());
                delays.add(outcome.delaySeconds());
            }
            if (!Double.isNaN(outcome.ratio())) {
                ratios.add(outcome.ratio());
                ratiosLower.add(outcome.ratioLower());
            }
        }

        int failures() {
            return falseActions + missed;
        }

        double leadPercentile(double p) {
            return percentile(leads, p);
        }

        /** Lead as a fraction of each trace's own horizon (recordings have a shorter one). */
        double leadFractionPercentile(double p) {
            return percentile(leadFractions, p);
        }

        double delayPercentile(double p) {
            return percentile(delays, p);
        }

        double ratioPercentile(double p) {
            return percentile(ratios, p);
        }

        double ratioLowerPercentile(double p) {
            return percentile(ratiosLower, p);
        }

        /** Nearest-rank percentile; NaN for an empty list. */
        private static double percentile(List<Double> values, double p) {
            if (values.isEmpty()) {
                return Double.NaN;
            }
            double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            int rank = (int) Math.ceil(p / 100 * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
        }
    }

    /** Renders the tallies as the markdown and JSON report, with the targets checked. */
    record Report(long seed, int traceCount, Map<String, Map<String, Tally>> byPolicy,
                  Map<Case, Map<String, Outcome>> recordedByCase) {

        private static final String LEAKGUARD = "leakguard";

        String markdown() {
            StringBuilder md = new StringBuilder();
            md.append("# Detection benchmark\n\n")
                    .append(String.format("Seed %d, %d traces (window %s, warm-up %s, horizon %s, scrapes every %s). ",
                            seed, traceCount, SETTINGS.window(), SETTINGS.warmup(), SETTINGS.horizon(), SETTINGS.interval()))
                    .append("The recorded family replays in real time, each recording with its own settings (listed below), ")
                    .append("and the baselines scale along: predict_linear over one ")
                    .append("window (\"30m\") and 12 windows (\"6h\"), for: a third of the horizon (5m at 15m); ")
                    .append("p5 / horizon divides each lead by its trace's own horizon. ")
                    .append("FA = traces with a false action (acted before the leak onset or on a trace that never reaches its limit); ")
                    .append("missed = traces that reach the limit with no action between onset and the limit ")
                    .append("(in brackets: of those reaching it after warm-up + two thirds of the window); ")
                    .append("lead = limit time − first action, in minutes and as a fraction of the horizon; ")
                    .append("delay = first action − leak onset, minutes; ")
                    .append("t→limit = predicted time to limit at the first action ÷ time really left, median (p10), ")
                    .append("for secondsToLimit and for the pessimistic secondsToLimitLower.\n\n")
                    .append("| family | detector | traces (reach) | FA | missed | FA+missed | lead median | lead p5 | p5 / horizon ")
                    .append("| delay median | t→limit | t→limit lower |\n")
                    .append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (String family : families()) {
                for (var entry : byPolicy.entrySet()) {
                    Tally tally = entry.getValue().get(family);
                    md.append(String.format("| %s | %s | %d (%d) | %d | %d (%d) | %d | %s | %s | %s | %s | %s | %s |\n",
                            family.equals(TOTAL) ? "**total**" : family, entry.getKey(), tally.traces, tally.reaching,
                            tally.falseActions, tally.missed, tally.missedEligible, tally.failures(),
                            minutes(tally.leadPercentile(50)), minutes(tally.leadPercentile(5)),
                            fraction(tally.leadFractionPercentile(5)), minutes(tally.delayPercentile(50)),
                            ratio(tally.ratioPercentile(50), tally.ratioPercentile(10)),
                            ratio(tally.ratioLowerPercentile(50), tally.ratioLowerPercentile(10))));
                }
            }
            md.append("\n## Recorded traces, one by one\n\n")
                    .append("| recording | window, warm-up, horizon, scrapes | reaches its limit | detector | outcome |\n")
                    .append("|---|---|---|---|---|\n");
            for (var recorded : recordedByCase.entrySet()) {
                DetectionSettings settings = recorded.getKey().settings();
                String settingsText = String.format("%s, %s, %s, %s", Durations.format(settings.window()),
                        Durations.format(settings.warmup()), Durations.format(settings.horizon()),
                        Durations.format(settings.interval()));
                for (var entry : recorded.getValue().entrySet()) {
                    Outcome outcome = entry.getValue();
                    md.append(String.format("| %s | %s | %s | %s | %s |\n", recorded.getKey().trace().name(), settingsText,
                            outcome.reaches() ? "yes" : "no", entry.getKey(), describe(outcome)));
                }
            }
            md.append("\n## Targets\n\n");
            for (var target : targets().entrySet()) {
                md.append("- ").append(target.getKey()).append(": ").append(target.getValue()).append('\n');
            }
            return md.toString();
        }

        private List<String> families() {
            return new ArrayList<>(byPolicy.get(LEAKGUARD).keySet());
        }

        /** The targets, each with the measured numbers. */
        Map<String, String> targets() {
            Map<String, Tally> ours = byPolicy.get(LEAKGUARD);
            Tally total = ours.get(TOTAL);
            Map<String, String> targets = new LinkedHashMap<>();
            targets.put("0 false actions", verdict(total.falseActions == 0) + " (" + total.falseActions
                    + "; on never-reaching traces: " + total.falseActionsOnNeverReaching + ")");
            targets.put("0 missed OOMs", verdict(total.missed == 0) + " (" + total.missed + " of " + total.reaching
                    + " reaching; " + total.missedEligible + " after warm-up + two thirds of the window)");
            double p5 = total.leadFractionPercentile(5);
            targets.put("5th-percentile lead ≥ 0.8 × horizon", verdict(p5 >= 0.8) + " (" + fraction(p5) + ")");
            double median = total.ratioPercentile(50);
            double p10 = total.ratioPercentile(10);
            targets.put("time to limit at the action: median ratio 0.9–1.1, p10 ≥ 0.6",
                    verdict(median >= 0.9 && median <= 1.1 && p10 >= 0.6) + " (" + ratio(median, p10) + ")");
            List<String> beaten = new ArrayList<>();
            for (String family : families()) {
                int mine = ours.get(family).failures();
                for (var entry : byPolicy.entrySet()) {
                    int theirs = entry.getValue().get(family).failures();
                    if (!entry.getKey().equals(LEAKGUARD) && theirs < mine) {
                        beaten.add(family + " by " + entry.getKey() + " (" + theirs + " < " + mine + ")");
                    }
                }
            }
            targets.put("no family where a baseline has fewer FA + missed",
                    verdict(beaten.isEmpty()) + (beaten.isEmpty() ? "" : "; beaten: " + String.join(", ", beaten)));
            return targets;
        }

        Map<String, Object> json() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("seed", seed);
            json.put("traces", traceCount);
            json.put("settings", new java.util.TreeMap<>(Map.of("window", SETTINGS.window().toString(), "warmup", SETTINGS.warmup().toString(),
                    "horizon", SETTINGS.horizon().toString(), "interval", SETTINGS.interval().toString())));
            Map<String, Object> detectors = new LinkedHashMap<>();
            for (var entry : byPolicy.entrySet()) {
                Map<String, Object> families = new LinkedHashMap<>();
                for (var family : entry.getValue().entrySet()) {
                    Tally tally = family.getValue();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("traces", tally.traces);
                    row.put("reaching", tally.reaching);
                    row.put("falseActions", tally.falseActions);
                    row.put("missedOoms", tally.missed);
                    row.put("missedOomsEligible", tally.missedEligible);
                    row.put("leadSecondsMedian", finite(tally.leadPercentile(50)));
                    row.put("leadSecondsP5", finite(tally.leadPercentile(5)));
                    row.put("leadP5FractionOfHorizon", finite(tally.leadFractionPercentile(5)));
                    row.put("leadMedianFractionOfHorizon", finite(tally.leadFractionPercentile(50)));
                    row.put("detectionDelaySecondsMedian", finite(tally.delayPercentile(50)));
                    row.put("detectionDelaySecondsP95", finite(tally.delayPercentile(95)));
                    row.put("timeToLimitRatioMedian", finite(tally.ratioPercentile(50)));
                    row.put("timeToLimitRatioP10", finite(tally.ratioPercentile(10)));
                    row.put("timeToLimitLowerRatioMedian", finite(tally.ratioLowerPercentile(50)));
                    families.put(family.getKey(), row);
                }
                detectors.put(entry.getKey(), families);
            }
            json.put("detectors", detectors);
            json.put("targets", targets());
            return json;
        }

        private static Double finite(double value) {
            return Double.isFinite(value) ? value : null;
        }

        private static String verdict(boolean met) {
            return met ? "met" : "NOT met";
        }

        private static String describe(Outcome outcome) {
            if (outcome.falseAction()) {
                return "false action";
            }
            if (!outcome.reaches()) {
                return "no action";
            }
            if (outcome.missed()) {
                return "missed";
            }
            return String.format("acted, lead %s (%s × horizon)", minutes(outcome.leadSeconds()), fraction(outcome.leadFraction()));
        }

        private static String minutes(double seconds) {
            return Double.isNaN(seconds) ? "–" : String.format("%.1f min", seconds / 60);
        }

        private static String ratio(double median, double p10) {
            return Double.isNaN(median) ? "–" : String.format("%.2f (%.2f)", median, p10);
        }

        private static String fraction(double value) {
            return Double.isNaN(value) ? "–" : String.format("%.2f", value);
        }
    }
}
