package dev.leakguard.bench.scale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** The benchmark's results, written as {@code scale-report.md} for people and {@code scale-report.json} for tools. */
record ScaleReport(ScaleBenchmark.Options options, Machine machine, long baselineHeapBytes, List<Run> runs, String loadAverageAtEnd) {
    private static final double MI = SimulatedPods.MI;

    /** The machine's cores (from /proc, whatever the JVM is told) and the CPUs the operator's JVM believes it has. */
    record Machine(int cores, int operatorJvmCpus, String cpu, String java, String loadAverage, String startedAt) {
        static Machine describe() throws IOException {
            List<String> cpuinfo = Files.readAllLines(Path.of("/proc/cpuinfo"));
            String model = cpuinfo.stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            int cores = (int) cpuinfo.stream().filter(l -> l.startsWith("processor")).count();
            return new Machine(cores, Runtime.getRuntime().availableProcessors(), model,
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"), ProcStats.loadAverage(),
                    Instant.now().toString());
        }
    }

    record Run(int pods, int endpointProcesses, double windowSeconds, Operator operator, Api api, Spread spread, Prometheus prometheus,
               BareFetch bareFetch, Load load) {
        String summary() {
            return String.format("%d pods: operator %.3f cores, %.3f CPU s/1000 scrapes, heap %.0f MiB (%.1f KiB/pod), decision p50 %.2f ms "
                            + "p99 %.2f ms, reconciles %.1f/min (%.1f listing pods) at %.1f ms, API %.1f req/min beyond events/status, status writes %.2f/min%s",
                    pods, operator.cpuShare, operator.cpuSecondsPer1000Scrapes, operator.heapAfterGcBytes / MI,
                    operator.heapPerPodBytes / 1024, operator.decisionP50Millis, operator.decisionP99Millis,
                    operator.reconcilesPerMinute, operator.reconcilesListingPodsPerMinute, operator.reconcileMeanMillis,
                    api.otherRequestsPerMinute, api.statusWritesPerMinute,
                    prometheus == null ? "" : String.format("; Prometheus %.3f cores, RSS %.0f MiB", prometheus.cpuShare,
                            prometheus.rssBytes / MI))
                    + String.format("; bare fetch floor %.3f cores, %.3f CPU s/1000 fetches", bareFetch.cpuShare, bareFetch.cpuSecondsPer1000Fetches);
        }
    }

    record Operator(double cpuSeconds, double cpuShare, double scrapes, double scrapesPerSecond, double cpuSecondsPer1000Scrapes,
                    Map<String, Double> scrapeResults, long heapAfterGcBytes, double heapPerPodBytes, long maxRssBytes,
                    double decisionP50Millis, double decisionP99Millis, long decisions, double reconcilesPerMinute, double reconcilesListingPodsPerMinute, double reconcileMeanMillis,
                    Map<String, Double> cpuSecondsByThreadGroup,
                    RegistryCost registry, Map<String, Long> verdicts) {
    }

    /** The operator's own /metrics with every pod's gauges. */
    record RegistryCost(int meters, int bytes, double renderMillis) {
    }

    /** API requests in the window, per minute. Events and status writes are what the operator reports; the rest should be near zero. */
    record Api(double otherRequestsPerMinute, double statusWritesPerMinute, double eventWritesPerMinute, double podPatchesPerMinute,
               Map<String, Double> perMinute) {
        static Api between(Map<String, Integer> before, Map<String, Integer> after, double seconds) {
            Map<String, Double> perMinute = new TreeMap<>();
            after.forEach((call, count) -> {
                int delta = count - before.getOrDefault(call, 0);
                if (delta > 0) {
                    perMinute.put(call, delta * 60 / seconds);
                }
            });
            double status = sum(perMinute, call -> call.endsWith("leakpolicies/status"));
            double events = sum(perMinute, call -> call.endsWith("/events"));
            double all = sum(perMinute, call -> true);
            double podPatches = sum(perMinute, call -> call.equals("patch core/pods"));
            return new Api(all - status - events, status, events, podPatches, perMinute);
        }

        private static double sum(Map<String, Double> perMinute, Function<String, Boolean> which) {
            return perMinute.entrySet().stream().filter(e -> which.apply(e.getKey())).mapToDouble(Map.Entry::getValue).sum();
        }
    }

    record Spread(PerSecond leakguard, PerSecond prometheus) {
    }

    /** Requests per wall-clock second at the endpoints: summary and the raw counts. */
    record PerSecond(double mean, long p99, long max, long[] counts) {
        static PerSecond of(long[] counts) {
            if (counts.length == 0) {
                return new PerSecond(0, 0, 0, counts);
            }
            long[] sorted = counts.clone();
            Arrays.sort(sorted);
            return new PerSecond(Arrays.stream(counts).average().orElse(0), sorted[(int) Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)],
                    sorted[sorted.length - 1], counts);
        }
    }

    record Prometheus(String version, double cpuSeconds, double cpuShare, double scrapes, double cpuSecondsPer1000Scrapes, long rssBytes,
                      long maxRssBytes, double targetsUp, double meanScrapeMillis) {
    }

    /**
     * The same client fetching the same bodies at the same rate and nothing else (BareFetchLoop), measured for
     * {@code windowSeconds} during the operator's warm-up after {@code warmupSeconds} of its own.
     */
    record BareFetch(double cpuSeconds, double cpuShare, long fetches, double fetchesPerSecond, long failed,
                     double cpuSecondsPer1000Fetches, double windowSeconds, long warmupSeconds) {
    }

    /** Cores busy on the machine during the window, and whose. */
    record Load(double machineBusyCores, double operatorCores, double prometheusCores, double loadGeneratorCores, double otherCores,
                String loadAverage) {
    }

    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("scale-report.json").toFile(), this);
        Files.writeString(dir.resolve("scale-report.md"), markdown());
    }

    String markdown() {
        StringBuilder md = new StringBuilder("# leakguard scale benchmark\n\n");
        md.append(String.format("Machine: %d cores (%s), %s; the operator's JVM sees %d CPU(s), as in a pod limited to %d core(s); "
                        + "load average at start %s, at end %s. Started %s.%n%n",
                machine.cores(), machine.cpu(), machine.java(), machine.operatorJvmCpus(), machine.operatorJvmCpus(),
                machine.loadAverage(), loadAverageAtEnd, machine.startedAt()));
        md.append(String.format("Each N: %.1f min measured at real time after every pod was watched and %d s of warm-up; 15 s interval; "
                        + "policies go-services and jvm-services with detection window %s (short so the ~3 %% leaking pods are acted on "
                        + "within the run), action Annotate%s. Baseline heap (operator watching nothing): %.1f MiB.%n%n",
                options.minutes(), 15 + options.warmupSeconds(), options.window(),
                options.compression() ? "" : ", enableCompression: false (uncompressed bodies, the bare fetch floor too)",
                baselineHeapBytes / MI));
        md.append("| | ").append(join(r -> r.pods() + " pods")).append('\n');
        md.append("|---|").append("---|".repeat(runs.size())).append('\n');
        row(md, "operator CPU (share of one core)", r -> f3(r.operator().cpuShare()));
        row(md, "operator CPU s per 1,000 scrapes", r -> f3(r.operator().cpuSecondsPer1000Scrapes()));
        row(md, "scrapes/s (failed)", r -> String.format("%.1f (%.0f)", r.operator().scrapesPerSecond(),
                r.operator().scrapes() - r.operator().scrapeResults().getOrDefault("success", 0.0)));
        row(md, "heap after GC", r -> String.format("%.0f MiB", r.operator().heapAfterGcBytes() / MI));
        row(md, "heap per watched pod", r -> String.format("%.1f KiB", r.operator().heapPerPodBytes() / 1024));
        row(md, "operator JVM RSS (max)", r -> String.format("%.0f MiB", r.operator().maxRssBytes() / MI));
        row(md, "sample-to-decision p50 / p99", r -> String.format("%.2f / %.2f ms", r.operator().decisionP50Millis(),
                r.operator().decisionP99Millis()));
        row(md, "reconciles/min (of which listing the pods), mean wall time of one", r -> String.format("%.1f (%.1f), %.1f ms",
                r.operator().reconcilesPerMinute(), r.operator().reconcilesListingPodsPerMinute(), r.operator().reconcileMeanMillis()));
        row(md, "API requests/min beyond events+status", r -> f1(r.api().otherRequestsPerMinute()));
        row(md, "status writes/min", r -> f1(r.api().statusWritesPerMinute()));
        row(md, "  of which pod annotation patches/min", r -> f1(r.api().podPatchesPerMinute()));
        row(md, "  of which reads and everything else/min", r -> f1(r.api().otherRequestsPerMinute() - r.api().podPatchesPerMinute()));
        row(md, "event writes/min", r -> f1(r.api().eventWritesPerMinute()));
        row(md, "leakguard scrapes per second: mean / p99 / max", r -> spread(r.spread().leakguard()));
        row(md, "verdicts at the end", r -> r.operator().verdicts().toString().replace("{", "").replace("}", ""));
        row(md, "own /metrics: meters, size, render time", r -> String.format("%d, %.1f MiB, %.0f ms", r.operator().registry().meters(),
                r.operator().registry().bytes() / MI, r.operator().registry().renderMillis()));
        if (runs.stream().anyMatch(r -> r.prometheus() != null)) {
            row(md, "Prometheus CPU (share of one core)", r -> r.prometheus() == null ? "-" : f3(r.prometheus().cpuShare()));
            row(md, "Prometheus CPU s per 1,000 scrapes", r -> r.prometheus() == null ? "-" : f3(r.prometheus().cpuSecondsPer1000Scrapes()));
            row(md, "Prometheus RSS (max)", r -> r.prometheus() == null ? "-" : String.format("%.0f MiB", r.prometheus().maxRssBytes() / MI));
            row(md, "Prometheus targets up, mean scrape duration", r -> r.prometheus() == null ? "-"
                    : String.format("%.0f, %.1f ms", r.prometheus().targetsUp(), r.prometheus().meanScrapeMillis()));
            row(md, "Prometheus scrapes per second: mean / p99 / max", r -> spread(r.spread().prometheus()));
            row(md, "leakguard CPU / Prometheus CPU", r -> r.prometheus() == null ? "-"
                    : String.format("%.2f", r.operator().cpuShare() / r.prometheus().cpuShare()));
        } else {
            md.append("\nPrometheus was not run (no ").append(ReferencePrometheus.BINARY).append(" on the PATH, or --no-prometheus).\n");
        }
        row(md, "bare fetch floor CPU (share of one core)", r -> f3(r.bareFetch().cpuShare()));
        row(md, "bare fetch floor CPU s per 1,000 fetches", r -> f3(r.bareFetch().cpuSecondsPer1000Fetches()));
        row(md, "bare fetch floor: fetches/s (failed), measured / own warm-up", r -> String.format("%.1f (%d), %.0f s / %d s",
                r.bareFetch().fetchesPerSecond(), r.bareFetch().failed(), r.bareFetch().windowSeconds(), r.bareFetch().warmupSeconds()));
        row(md, "operator CPU / bare fetch floor", r -> String.format("%.2f", r.operator().cpuShare() / r.bareFetch().cpuShare()));
        row(md, "machine busy cores: all / operator / Prometheus / load generator / others", r -> String.format("%.2f / %.2f / %.2f / %.2f / %.2f",
                r.load().machineBusyCores(), r.load().operatorCores(), r.load().prometheusCores(), r.load().loadGeneratorCores(),
                r.load().otherCores()));
        md.append("\n## Operator CPU by thread group (seconds in the window)\n\n");
        for (Run run : runs) {
            md.append("- ").append(run.pods()).append(" pods: ");
            run.operator().cpuSecondsByThreadGroup().forEach((name, seconds) -> md.append(String.format("`%s` %.1f, ", name, seconds)));
            double threads = run.operator().cpuSecondsByThreadGroup().values().stream().mapToDouble(Double::doubleValue).sum();
            md.append(String.format("threads that ended in the window and the rest %.1f (process total %.1f)%n", Math.max(0, run.operator().cpuSeconds() - threads),
                    run.operator().cpuSeconds()));
        }
        md.append("\n## API requests per minute in the window\n\n");
        for (Run run : runs) {
            md.append("- ").append(run.pods()).append(" pods: ");
            run.api().perMinute().forEach((call, rate) -> md.append(String.format("`%s` %.1f, ", call, rate)));
            md.append('\n');
        }
        return md.toString();
    }

    private void row(StringBuilder md, String label, Function<Run, String> cell) {
        md.append("| ").append(label).append(" | ").append(join(cell)).append('\n');
    }

    private String join(Function<Run, String> cell) {
        StringBuilder out = new StringBuilder();
        for (Run run : runs) {
            out.append(cell.apply(run)).append(" | ");
        }
        return out.toString().stripTrailing();
    }

    private static String spread(PerSecond perSecond) {
        return String.format("%.1f / %d / %d", perSecond.mean(), perSecond.p99(), perSecond.max());
    }

    private static String f1(double value) {
        return String.format("%.1f", value);
    }

    private static String f3(double value) {
        return String.format("%.3f", value);
    }
}
