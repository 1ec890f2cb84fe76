package dev.leakguard.bench.scale;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The fetch path of two builds side by side, at the same moments: two {@link BareFetchLoop} processes (the operator's
 * fetcher, limits, slots and gzip, fetching every simulated pod once per 15 s, on the scale benchmark's
 * {@link EndpointShard}), one on this build's classes and one on a baseline's main classes (a copy of another build's
 * {@code target/classes}; the benchmark's own classes and libraries are shared). Whatever else runs on the machine
 * weighs on both alike. The baseline scrapes each pod half an interval after this build, so that neither finds the
 * pod's endpoint thread awake from the other's request. Per window and side: the process's CPU (JIT and GC included)
 * and its event loop thread's, per 1,000 fetches; bytes allocated on the event loop per fetch; and, when {@code perf}
 * may count the process, its system calls and context switches per fetch. The load average is printed with each window.
 *
 * <pre>
 * cp -r target/classes /tmp/baseline-classes   # on the baseline's commit, after test-compile
 * mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.bench.scale.FetchLoopPairBench \
 *     -Dbench.args="--baseline-classes /tmp/baseline-classes --pods 2000 --warmup-seconds 90 --seconds 60 --windows 3"
 * </pre>
 */
public final class FetchLoopPairBench {
    private static final Pattern PERF_COUNT = Pattern.compile("^\\s*([0-9,]+)\\s+(raw_syscalls:sys_enter|context-switches)");
    private static final List<String> CHILD_JVM_OPTIONS = List.of("-Xmx1g", "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=1");

    private FetchLoopPairBench() {
    }

    /** What one side did up to a moment. */
    private record Reading(double processCpuSeconds, long fetched, long failed, long loopCpuNanos, long loopAllocatedBytes) {
        static Reading of(ChildJvm side) throws InterruptedException {
            String[] count = side.askLine("COUNT", "COUNT", Duration.ofSeconds(30)).split(" ");
            return new Reading(ProcStats.cpuSeconds(side.pid()), Long.parseLong(count[1]), Long.parseLong(count[2]),
                    Long.parseLong(count[3]), Long.parseLong(count[4]));
        }
    }

    public static void main(String[] args) throws Exception {
        int pods = 2000;
        int warmupSeconds = 90;
        int seconds = 60;
        int windows = 3;
        Path baselineClasses = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pods" -> pods = Integer.parseInt(args[++i]);
                case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--windows" -> windows = Integer.parseInt(args[++i]);
                case "--baseline-classes" -> baselineClasses = Path.of(args[++i]).toAbsolutePath();
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (baselineClasses == null || !Files.isDirectory(baselineClasses)) {
            throw new IllegalArgumentException("--baseline-classes DIR (a copy of a build's target/classes) is required");
        }
        Path workDir = Files.createDirectories(Path.of("target", "fetch-loop-pair-bench"));
        Path bindings = workDir.resolve("bindings.txt");
        Path rotated = workDir.resolve("bindings-half-interval-later.txt");
        String ownClassPath = System.getProperty("java.class.path");
        String baselineClassPath = withMainClasses(ownClassPath, baselineClasses);
        try (ChildJvm endpoints = ChildJvm.start("endpoints", List.of("-Xmx256m", "-XX:+UseSerialGC"), EndpointShard.class,
                List.of("0", String.valueOf(pods), bindings.toString()), workDir)) {
            endpoints.await("READY", Duration.ofMinutes(2));
            List<String> lines = Files.readAllLines(bindings);
            List<String> halfLater = new ArrayList<>(lines);
            Collections.rotate(halfLater, lines.size() / 2); // BareFetchLoop spreads the pods over the interval in file order
            Files.write(rotated, halfLater);
            List<String> loopArgs = List.of(String.valueOf(ScaleBenchmark.INTERVAL.toSeconds()), "true");
            try (ChildJvm current = ChildJvm.start("current", CHILD_JVM_OPTIONS, ownClassPath, BareFetchLoop.class,
                    concat(bindings.toString(), loopArgs), workDir);
                 ChildJvm baseline = ChildJvm.start("baseline", CHILD_JVM_OPTIONS, baselineClassPath, BareFetchLoop.class,
                         concat(rotated.toString(), loopArgs), workDir)) {
                current.await("READY", Duration.ofMinutes(1));
                baseline.await("READY", Duration.ofMinutes(1));
                System.out.printf("%d pods, both sides fetching; warming up %d s%n", pods, warmupSeconds);
                Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
                for (int window = 1; window <= windows; window++) {
                    Reading currentBefore = Reading.of(current);
                    Reading baselineBefore = Reading.of(baseline);
                    Process perfCurrent = perf(current.pid(), seconds, workDir.resolve("perf-current.txt"));
                    Process perfBaseline = perf(baseline.pid(), seconds, workDir.resolve("perf-baseline.txt"));
                    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
                    Reading currentAfter = Reading.of(current);
                    Reading baselineAfter = Reading.of(baseline);
                    System.out.printf("window %d of %d s, load average %s%n", window, seconds, ProcStats.loadAverage());
                    report("baseline", baselineBefore, baselineAfter, perfBaseline, workDir.resolve("perf-baseline.txt"));
                    report("current", currentBefore, currentAfter, perfCurrent, workDir.resolve("perf-current.txt"));
                }
            }
        }
        System.exit(0);
    }

    private static void report(String name, Reading before, Reading after, Process perf, Path perfOutput)
            throws InterruptedException, IOException {
        long fetched = after.fetched() - before.fetched();
        double perThousand = 1000.0 / fetched;
        String counted = "";
        if (perf != null && perf.waitFor(30, TimeUnit.SECONDS) && perf.exitValue() == 0) {
            counted = Files.readAllLines(perfOutput, StandardCharsets.UTF_8).stream().map(PERF_COUNT::matcher).filter(Matcher::find)
                    .map(m -> String.format(", %.1f %s", Long.parseLong(m.group(1).replace(",", "")) / (double) fetched, m.group(2)))
                    .collect(Collectors.joining()) + " per fetch";
        }
        System.out.printf("  %-8s %d fetches (%d failed): process %.3f CPU s per 1,000, event loop %.3f; %.0f bytes allocated"
                        + " on the loop per fetch%s%n", name, fetched, after.failed() - before.failed(),
                (after.processCpuSeconds() - before.processCpuSeconds()) * perThousand,
                (after.loopCpuNanos() - before.loopCpuNanos()) / 1e9 * perThousand,
                (after.loopAllocatedBytes() - before.loopAllocatedBytes()) / (double) fetched, counted);
    }

    /** Counts the process's system calls and context switches for {@code seconds}; null where perf cannot run. */
    private static Process perf(long pid, int seconds, Path output) {
        try {
            return new ProcessBuilder("perf", "stat", "-e", "raw_syscalls:sys_enter,context-switches", "-p", String.valueOf(pid),
                    "--", "sleep", String.valueOf(seconds)).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code classPath} with its first main-classes directory ({@code .../target/classes}) replaced by {@code mainClasses}. */
    private static String withMainClasses(String classPath, Path mainClasses) {
        List<String> entries = new ArrayList<>(Arrays.asList(classPath.split(File.pathSeparator)));
        int main = entries.indexOf(entries.stream().filter(entry -> entry.endsWith(File.separator + "target" + File.separator + "classes"))
                .findFirst().orElseThrow(() -> new IllegalStateException("no target/classes on the class path " + classPath)));
        entries.set(main, mainClasses.toString());
        return String.join(File.pathSeparator, entries);
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
