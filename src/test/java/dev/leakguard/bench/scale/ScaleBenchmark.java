package dev.leakguard.bench.scale;

import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The scale benchmark: the real {@link LeakguardOperator} in this JVM watching N simulated pods at a
 * 15 s interval, next to a real Prometheus scraping the same endpoints, at real time.
 *
 * <p>Everything that is not the operator runs in child processes, so that this JVM's CPU and heap
 * are the operator's (GC and JIT threads included, which per-thread accounting would miss): the API
 * server ({@link ClusterApi}, fabric8 CRUD mock holding the N pods), the endpoints
 * ({@link EndpointShard}s, one listening socket per pod) and, during the warm-up, the bare fetch floor
 * ({@link BareFetchLoop}). The harness's own threads (main and {@code scale-bench-*}) are measured and subtracted.
 *
 * <pre>
 * mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.bench.scale.ScaleBenchmark \
 *     -Dbench.args="--pods 1000,5000,10000 --minutes 3 --warmup-seconds 300" -Dbench.jvmArgs="-Xmx1g -XX:ActiveProcessorCount=1"
 * </pre>
 * Options: {@code --pods} (comma-separated N), {@code --minutes} (measured window per N),
 * {@code --warmup-seconds} (after every pod is watched and one interval, default one detection window), {@code --window} (detection
 * window of the policies, default 3m), {@code --no-prometheus}, {@code --no-compression} (the policies set
 * {@code spec.metrics.enableCompression: false} and the bare fetch floor asks for uncompressed bodies too), {@code --out}
 * (default target).
 * Writes {@code scale-report.md} and {@code scale-report.json} there.
 */
public final class ScaleBenchmark {
    static final Duration INTERVAL = Duration.ofSeconds(15);
    private static final int PODS_PER_SHARD = 4000;
    /** Time between the bare fetch floor's end and the operator's window, for the child to exit. */
    private static final long BARE_FETCH_STOP_MARGIN_SECONDS = 20;

    record Options(List<Integer> pods, double minutes, int warmupSeconds, String window, boolean prometheus, boolean compression,
                   Path out) {
        static Options parse(String[] args) {
            List<Integer> pods = List.of(1000, 5000, 10000);
            double minutes = 3;
            int warmup = -1;
            String window = "3m";
            boolean prometheus = true;
            boolean compression = true;
            Path out = Path.of("target");
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--pods" -> pods = Arrays.stream(args[++i].split(",")).map(String::trim).map(Integer::parseInt).toList();
                    case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                    case "--warmup-seconds" -> warmup = Integer.parseInt(args[++i]);
                    case "--window" -> window = args[++i];
                    case "--no-prometheus" -> prometheus = false;
                    case "--no-compression" -> compression = false;
                    case "--out" -> out = Path.of(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            // By default the warm-up lasts a detection window, so that every pod has its first verdict before measuring.
            int warmupSeconds = warmup >= 0 ? warmup : (int) dev.leakguard.policy.Durations.parse(window).toSeconds();
            return new Options(pods, minutes, warmupSeconds, window, prometheus, compression, out);
        }
    }

    private final Options options;
    private final Path workDir;

    private ScaleBenchmark(Options options) throws IOException {
        this.options = options;
        this.workDir = Files.createDirectories(options.out().resolve("scale-bench"));
    }

    public static void main(String[] args) throws Exception {
        Thread.currentThread().setName("main");
        Options options = Options.parse(args);
        ScaleBenchmark bench = new ScaleBenchmark(options);
        ScaleReport.Machine machine = ScaleReport.Machine.describe();
        System.out.println("scale benchmark: " + options + "\nmachine: " + machine);
        long baseline = bench.baselineHeap();
        System.out.printf("baseline heap after GC (operator watching nothing): %.1f MiB%n", baseline / SimulatedPods.MI);
        List<ScaleReport.Run> runs = new ArrayList<>();
        for (int pods : options.pods()) {
            ScaleReport.Run run = bench.run(pods, baseline);
            runs.add(run);
            System.out.println(run.summary());
        }
        ScaleReport report = new ScaleReport(options, machine, baseline, runs, ScaleReport.Machine.describe().loadAverage());
        report.write(options.out());
        System.out.println("wrote " + options.out().resolve("scale-report.md") + " and scale-report.json");
        System.exit(0);
    }

    /** Heap after GC with the operator running and its policies present, but no pods. */
    private long baselineHeap() throws Exception {
        Path bindings = workDir.resolve("bindings-0.txt");
        Files.write(bindings, List.of());
        try (ChildJvm api = ChildJvm.start("api-0", List.of("-Xmx256m", "-XX:+UseSerialGC"), ClusterApi.class,
                List.of(bindings.toString(), options.window(), String.valueOf(options.compression())), workDir)) {
            String url = api.await("READY", Duration.ofMinutes(2)).substring("READY ".length());
            try (KubernetesClient client = client(url);
                 LeakguardOperator operator = new LeakguardOperator(client, ScaledClock.system(), new MicrometerOperatorMetrics("bench"),
                         LeakguardOperator.Settings.defaults())) {
                operator.start();
                Thread.sleep(10_000);
                return heapAfterGc();
            }
        }
    }

    private ScaleReport.Run run(int pods, long baselineHeap) throws Exception {
        System.out.printf("--- %d pods: starting endpoints, API server%s%n", pods, options.prometheus() ? ", Prometheus" : "");
        List<ChildJvm> shards = new ArrayList<>();
        List<String> bindingLines = new ArrayList<>();
        ChildJvm api = null;
        ReferencePrometheus prometheus = null;
        try {
            for (int from = 0; from < pods; from += PODS_PER_SHARD) {
                int to = Math.min(pods, from + PODS_PER_SHARD);
                Path file = workDir.resolve("bindings-" + pods + "-" + from + ".txt");
                shards.add(ChildJvm.start("endpoints-" + pods + "-" + from, List.of("-Xmx256m", "-XX:+UseSerialGC"), EndpointShard.class,
                        List.of(String.valueOf(from), String.valueOf(to), file.toString()), workDir));
            }
            for (int i = 0; i < shards.size(); i++) {
                shards.get(i).await("READY", Duration.ofMinutes(2));
                bindingLines.addAll(Files.readAllLines(workDir.resolve("bindings-" + pods + "-" + (i * PODS_PER_SHARD) + ".txt")));
            }
            Path bindings = workDir.resolve("bindings-" + pods + ".txt");
            Files.write(bindings, bindingLines);
            long created = System.nanoTime();
            api = ChildJvm.start("api-" + pods, List.of("-Xmx1g", "-XX:+UseSerialGC"), ClusterApi.class,
                    List.of(bindings.toString(), options.window(), String.valueOf(options.compression())), workDir);
            String url = api.await("READY", Duration.ofMinutes(20)).substring("READY ".length());
            System.out.printf("    API server holds %d pods (created in %.0f s)%n", pods, (System.nanoTime() - created) / 1e9);
            if (options.prometheus()) {
                List<String> targets = bindingLines.stream().map(line -> line.split(" ")).map(p -> p[1] + ":" + p[2]).toList();
                prometheus = ReferencePrometheus.start(targets, INTERVAL).orElse(null);
                if (prometheus == null) {
                    System.out.println("    Prometheus is not installed (no " + ReferencePrometheus.BINARY + " on the PATH): leakguard is reported alone");
                }
            }
            return measure(pods, baselineHeap, api, url, shards, bindings, prometheus);
        } finally {
            if (prometheus != null) {
                prometheus.close();
            }
            if (api != null) {
                api.close();
            }
            shards.forEach(ChildJvm::close);
        }
    }

    private ScaleReport.Run measure(int pods, long baselineHeap, ChildJvm api, String url, List<ChildJvm> shards, Path bindings,
                                    ReferencePrometheus prometheus) throws Exception {
        MicrometerOperatorMetrics metrics = new MicrometerOperatorMetrics("bench");
        try (KubernetesClient client = client(url);
             LeakguardOperator operator = new LeakguardOperator(client, ScaledClock.system(), metrics, LeakguardOperator.Settings.defaults())) {
            long started = System.nanoTime();
            operator.start();
            while (watched(operator) < pods) {
                if (System.nanoTime() - started > Duration.ofMinutes(10).toNanos()) {
                    throw new IllegalStateException("only " + watched(operator) + " of " + pods + " pods watched after 10 minutes");
                }
                Thread.sleep(500);
            }
            System.out.printf("    operator watches all %d pods %.1f s after start; warming up %d s%n", pods,
                    (System.nanoTime() - started) / 1e9, INTERVAL.toSeconds() + options.warmupSeconds());
            long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(INTERVAL.toSeconds() + options.warmupSeconds());
            ScaleReport.BareFetch bareFetch = bareFetchFloor(pods, bindings, warmupEnd);
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(warmupEnd - System.nanoTime())));

            long self = ProcessHandle.current().pid();
            List<Long> generatorPids = new ArrayList<>(shards.stream().map(ChildJvm::pid).toList());
            generatorPids.add(api.pid());
            ProcStats.MachineCpu machineBefore = ProcStats.machine();
            double generatorBefore = generatorPids.stream().mapToDouble(ProcStats::cpuSeconds).sum();
            double prometheusCpuBefore = prometheus == null ? 0 : ProcStats.cpuSeconds(prometheus.pid());
            double prometheusScrapesBefore = prometheus == null ? 0 : prometheus.scrapesSoFar();
            Map<String, Integer> requestsBefore = requests(api);
            OperatorProbe before = OperatorProbe.take(metrics.registry());
            long windowStart = System.nanoTime();
            long firstSecond = System.currentTimeMillis() / 1000 + 1;

            long windowMillis = Math.round(options.minutes() * 60_000);
            System.out.printf("    measuring %.1f min%n", options.minutes());
            long maxRss = 0;
            long maxPrometheusRss = 0;
            while (System.nanoTime() - windowStart < windowMillis * 1_000_000L) {
                Thread.sleep(Math.min(5000, Math.max(1, windowMillis - (System.nanoTime() - windowStart) / 1_000_000L)));
                maxRss = Math.max(maxRss, ProcStats.rssBytes(self));
                if (prometheus != null) {
                    maxPrometheusRss = Math.max(maxPrometheusRss, ProcStats.rssBytes(prometheus.pid()));
                }
            }

            OperatorProbe after = OperatorProbe.take(metrics.registry());
            double wallSeconds = (System.nanoTime() - windowStart) / 1e9;
            long lastSecond = System.currentTimeMillis() / 1000;
            Map<String, Integer> requestsAfter = requests(api);
            double prometheusCpuAfter = prometheus == null ? 0 : ProcStats.cpuSeconds(prometheus.pid());
            double prometheusScrapesAfter = prometheus == null ? 0 : prometheus.scrapesSoFar();
            double generatorAfter = generatorPids.stream().mapToDouble(ProcStats::cpuSeconds).sum();
            ProcStats.MachineCpu machineAfter = ProcStats.machine();

            double operatorCpu = (after.processCpuNanos() - before.processCpuNanos()) / 1e9 - after.harnessCpuSeconds(before);
            double scrapes = after.scrapesSince(before);
            ScaleReport.Spread spread = spread(shards, firstSecond, lastSecond);
            ScaleReport.RegistryCost registryCost = registryCost(metrics);
            Map<String, Long> verdicts = operator.snapshot().values().stream().flatMap(List::stream)
                    .collect(Collectors.groupingBy(v -> v.verdict().name().toLowerCase(), TreeMap::new, Collectors.counting()));
            long heap = heapAfterGc();
            saveClassHistogram(workDir.resolve("histogram-" + pods + ".txt"));
            saveNativeMemory(workDir.resolve("native-memory-" + pods + ".txt"));

            ScaleReport.Operator operatorResult = new ScaleReport.Operator(
                    operatorCpu, operatorCpu / wallSeconds, scrapes, scrapes / wallSeconds, 1000 * operatorCpu / scrapes,
                    after.scrapesByResultSince(before), heap, (double) (heap - baselineHeap) / pods, maxRss,
                    after.decisionQuantile(before, 0.5) * 1000, after.decisionQuantile(before, 0.99) * 1000, after.decisionsSince(before),
                    after.reconcilesSince(before) * 60 / wallSeconds, after.reconcilesListingPodsSince(before) * 60 / wallSeconds,
                    after.reconcileMeanMillisSince(before),
                    top(after.cpuByThreadGroup(before), 16), registryCost, verdicts);
            ScaleReport.Api apiResult = ScaleReport.Api.between(requestsBefore, requestsAfter, wallSeconds);
            ScaleReport.Prometheus prometheusResult = null;
            if (prometheus != null) {
                double cpu = prometheusCpuAfter - prometheusCpuBefore;
                double promScrapes = prometheusScrapesAfter - prometheusScrapesBefore;
                prometheusResult = new ScaleReport.Prometheus(prometheus.version(), cpu, cpu / wallSeconds, promScrapes,
                        1000 * cpu / promScrapes, ProcStats.rssBytes(prometheus.pid()), maxPrometheusRss,
                        prometheus.query("count(up == 1)"), prometheus.query("avg(scrape_duration_seconds)") * 1000);
            }
            double busy = machineAfter.busyCoresSince(machineBefore, wallSeconds);
            double generator = (generatorAfter - generatorBefore) / wallSeconds;
            double prometheusCores = prometheusResult == null ? 0 : prometheusResult.cpuShare();
            ScaleReport.Load load = new ScaleReport.Load(busy, operatorResult.cpuShare(), prometheusCores, generator,
                    Math.max(0, busy - operatorResult.cpuShare() - prometheusCores - generator), ProcStats.loadAverage());
            return new ScaleReport.Run(pods, shards.size(), wallSeconds, operatorResult, apiResult, spread, prometheusResult, bareFetch, load);
        }
    }

    /**
     * The floor under the operator: {@link BareFetchLoop} in a JVM with the operator's options fetches the same
     * bodies from the same endpoints at the same rate with the same client, and nothing else. It runs inside the
     * operator's warm-up (which the operator's figures do not count), next to the operator and Prometheus as in
     * the window: it warms up first, is measured for the window's length (less when the warm-up is too short for
     * both), and is gone before the operator's window starts, so it neither shares the endpoints nor the cores
     * with the operator's measurement. Its CPU is the process's (JIT and GC included), read from /proc.
     */
    private ScaleReport.BareFetch bareFetchFloor(int pods, Path bindings, long stopBy) throws Exception {
        List<String> jvmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(option -> option.startsWith("-X")).toList();
        try (ChildJvm bare = ChildJvm.start("bare-fetch-" + pods, jvmOptions, BareFetchLoop.class,
                List.of(bindings.toString(), String.valueOf(INTERVAL.toSeconds()), String.valueOf(options.compression())), workDir)) {
            bare.await("READY", Duration.ofMinutes(1));
            long available = TimeUnit.NANOSECONDS.toSeconds(stopBy - System.nanoTime()) - BARE_FETCH_STOP_MARGIN_SECONDS;
            long measureSeconds = Math.min(Math.round(options.minutes() * 60), available * 3 / 5);
            long warmupSeconds = available - measureSeconds;
            System.out.printf("    bare fetch floor: warming up %d s, measuring %d s%n", warmupSeconds, measureSeconds);
            Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
            double cpuBefore = ProcStats.cpuSeconds(bare.pid());
            String[] countBefore = bare.askLine("COUNT", "COUNT", Duration.ofSeconds(30)).split(" ");
            long start = System.nanoTime();
            Thread.sleep(TimeUnit.SECONDS.toMillis(measureSeconds));
            double cpuAfter = ProcStats.cpuSeconds(bare.pid());
            String[] countAfter = bare.askLine("COUNT", "COUNT", Duration.ofSeconds(30)).split(" ");
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = cpuAfter - cpuBefore;
            long fetches = Long.parseLong(countAfter[1]) - Long.parseLong(countBefore[1]);
            long failed = Long.parseLong(countAfter[2]) - Long.parseLong(countBefore[2]);
            return new ScaleReport.BareFetch(cpu, cpu / seconds, fetches, fetches / seconds, failed, 1000 * cpu / fetches, seconds,
                    warmupSeconds);
        }
    }

    private static int watched(LeakguardOperator operator) {
        return operator.snapshot().values().stream().mapToInt(List::size).sum();
    }

    private static Map<String, Integer> requests(ChildJvm api) throws InterruptedException {
        Map<String, Integer> counts = new TreeMap<>();
        for (String line : api.ask("REQUESTS", "END", Duration.ofSeconds(60))) {
            String[] parts = line.split("\t");
            counts.put(parts[2], Integer.parseInt(parts[1]));
        }
        return counts;
    }

    /** Requests per wall-clock second over all endpoints, per scraper: a thundering herd shows as a max far above the mean. */
    private static ScaleReport.Spread spread(List<ChildJvm> shards, long fromSecond, long toSecond) throws InterruptedException {
        long[] leakguard = new long[(int) (toSecond - fromSecond)];
        long[] prometheus = new long[leakguard.length];
        for (ChildJvm shard : shards) {
            String[] parts = shard.askLine("STATS " + fromSecond + " " + toSecond, "STATS", Duration.ofSeconds(30)).split(" ");
            add(leakguard, parts[1]);
            add(prometheus, parts[2]);
        }
        return new ScaleReport.Spread(ScaleReport.PerSecond.of(leakguard), ScaleReport.PerSecond.of(prometheus));
    }

    private static void add(long[] into, String csv) {
        if (csv.equals("-")) {
            return;
        }
        String[] values = csv.split(",");
        for (int i = 0; i < values.length && i < into.length; i++) {
            into[i] += Long.parseLong(values[i]);
        }
    }

    /** What serving the operator's own /metrics costs with N pods' gauges: median of five renders. */
    private static ScaleReport.RegistryCost registryCost(MicrometerOperatorMetrics metrics) {
        double[] millis = new double[5];
        int bytes = 0;
        for (int i = 0; i < millis.length; i++) {
            long start = System.nanoTime();
            bytes = metrics.scrape().length();
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(millis);
        return new ScaleReport.RegistryCost(metrics.registry().getMeters().size(), bytes, millis[millis.length / 2]);
    }

    private static Map<String, Double> top(Map<String, Double> values, int limit) {
        Map<String, Double> out = new LinkedHashMap<>();
        values.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder())).limit(limit)
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(300);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The heap's largest classes (jcmd GC.class_histogram of this JVM), to see what a watched pod costs. */
    private static void saveClassHistogram(Path file) throws IOException, InterruptedException {
        jcmd(file, "GC.class_histogram");
    }

    /**
     * Where the RSS beyond the heap goes (metaspace, code cache, thread stacks, GC, direct buffers), for
     * sizing the container limit: needs {@code -XX:NativeMemoryTracking=summary} in {@code bench.jvmArgs},
     * otherwise the file says that tracking is off.
     */
    private static void saveNativeMemory(Path file) throws IOException, InterruptedException {
        jcmd(file, "VM.native_memory", "summary", "scale=MB");
    }

    private static void jcmd(Path output, String... command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (Files.isExecutable(jcmd)) {
            List<String> line = new ArrayList<>(List.of(jcmd.toString(), String.valueOf(ProcessHandle.current().pid())));
            line.addAll(List.of(command));
            new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(output.toFile()).start().waitFor();
        }
    }

    private static KubernetesClient client(String url) {
        return new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(url).withHttp2Disable(true)
                .withNamespace(ClusterApi.NAMESPACE).build()).build();
    }
}
