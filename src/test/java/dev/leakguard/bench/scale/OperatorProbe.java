package dev.leakguard.bench.scale;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the benchmark reads from inside the operator's JVM at the start and the end of the measured
 * window: process and per-thread CPU, scrape counts by result, and the sample-to-decision histogram.
 */
record OperatorProbe(long processCpuNanos, Map<Long, ThreadCpu> threads, Map<String, Double> jvmInternal, Map<String, Double> scrapes, double[] decisionBounds,
                     double[] decisionCumulative, long decisionCount, long reconciles, long reconcilesListingPods, double reconcileSeconds) {

    /** Threads of the benchmark harness itself; everything else in the JVM is the operator. */
    static boolean harness(String threadName) {
        return threadName.equals("main") || threadName.startsWith("scale-bench-");
    }

    record ThreadCpu(String name, long cpuNanos) {
    }

    static OperatorProbe take(MeterRegistry registry) {
        long process = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, ThreadCpu> threads = new HashMap<>();
        for (long id : mx.getAllThreadIds()) {
            ThreadInfo info = mx.getThreadInfo(id);
            long cpu = mx.getThreadCpuTime(id);
            if (info != null && cpu >= 0) {
                threads.put(id, new ThreadCpu(info.getThreadName(), cpu));
            }
        }
        Map<String, Double> scrapes = new TreeMap<>();
        for (Counter counter : registry.find("leakguard_scrapes").counters()) {
            scrapes.merge(counter.getId().getTag("result"), counter.count(), Double::sum);
        }
        double[] bounds = new double[0];
        double[] cumulative = new double[0];
        long count = 0;
        for (Timer timer : registry.find("leakguard_decision_duration").timers()) {
            CountAtBucket[] buckets = timer.takeSnapshot().histogramCounts();
            if (bounds.length == 0) {
                bounds = new double[buckets.length];
                cumulative = new double[buckets.length];
                for (int i = 0; i < buckets.length; i++) {
                    bounds[i] = buckets[i].bucket(java.util.concurrent.TimeUnit.SECONDS);
                }
            }
            for (int i = 0; i < buckets.length && i < cumulative.length; i++) {
                cumulative[i] += buckets[i].count();
            }
            count += timer.count();
        }
        long reconciles = 0;
        long listingPods = 0;
        double reconcileSeconds = 0;
        for (Timer timer : registry.find("leakguard_reconcile_duration").timers()) {
            reconciles += timer.count();
            listingPods += "listed".equals(timer.getId().getTag("pods")) ? timer.count() : 0;
            reconcileSeconds += timer.totalTime(java.util.concurrent.TimeUnit.SECONDS);
        }
        return new OperatorProbe(process, threads, ProcStats.jvmInternalCpuSeconds(), scrapes, bounds, cumulative, count, reconciles, listingPods,
                reconcileSeconds);
    }

    /**
     * CPU seconds between {@code earlier} and this, by thread-name pattern (digits folded), harness
     * threads left out, with the JVM's own native threads (JIT, VM thread, GC) by kind.
     */
    Map<String, Double> cpuByThreadGroup(OperatorProbe earlier) {
        Map<String, Double> groups = new TreeMap<>();
        threads.forEach((id, now) -> {
            if (harness(now.name())) {
                return;
            }
            ThreadCpu before = earlier.threads.get(id);
            double seconds = (now.cpuNanos() - (before == null ? 0 : before.cpuNanos())) / 1e9;
            groups.merge(now.name().replaceAll("\\d+", "#"), seconds, Double::sum);
        });
        jvmInternal.forEach((kind, seconds) -> groups.put(kind, seconds - earlier.jvmInternal.getOrDefault(kind, 0.0)));
        return groups;
    }

    /** CPU seconds of the harness's own threads between {@code earlier} and this. */
    double harnessCpuSeconds(OperatorProbe earlier) {
        double seconds = 0;
        for (Map.Entry<Long, ThreadCpu> entry : threads.entrySet()) {
            if (harness(entry.getValue().name())) {
                ThreadCpu before = earlier.threads.get(entry.getKey());
                seconds += (entry.getValue().cpuNanos() - (before == null ? 0 : before.cpuNanos())) / 1e9;
            }
        }
        return seconds;
    }

    double scrapesSince(OperatorProbe earlier) {
        return scrapes.values().stream().mapToDouble(Double::doubleValue).sum()
                - earlier.scrapes.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    Map<String, Double> scrapesByResultSince(OperatorProbe earlier) {
        Map<String, Double> out = new TreeMap<>();
        scrapes.forEach((result, count) -> out.put(result, count - earlier.scrapes.getOrDefault(result, 0.0)));
        return out;
    }

    /**
     * The {@code q} quantile, in seconds, of the decisions between {@code earlier} and this, by
     * linear interpolation inside the histogram bucket that holds it (as histogram_quantile does).
     */
    double decisionQuantile(OperatorProbe earlier, double q) {
        long total = decisionCount - earlier.decisionCount;
        if (total <= 0 || decisionBounds.length == 0) {
            return Double.NaN;
        }
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (int i = 0; i < decisionBounds.length; i++) {
            double cumulative = decisionCumulative[i] - (i < earlier.decisionCumulative.length ? earlier.decisionCumulative[i] : 0);
            if (cumulative >= rank) {
                double inBucket = cumulative - lowerCount;
                return inBucket <= 0 ? decisionBounds[i] : lowerBound + (decisionBounds[i] - lowerBound) * (rank - lowerCount) / inBucket;
            }
            lowerBound = decisionBounds[i];
            lowerCount = cumulative;
        }
        return Double.POSITIVE_INFINITY;
    }

    long decisionsSince(OperatorProbe earlier) {
        return decisionCount - earlier.decisionCount;
    }

    long reconcilesSince(OperatorProbe earlier) {
        return reconciles - earlier.reconciles;
    }

    /** Of {@link #reconcilesSince}, those that listed and resolved the policy's pods (a pod had changed). */
    long reconcilesListingPodsSince(OperatorProbe earlier) {
        return reconcilesListingPods - earlier.reconcilesListingPods;
    }

    /** Mean wall time of the reconciles between {@code earlier} and this, in milliseconds; NaN when none ran. */
    double reconcileMeanMillisSince(OperatorProbe earlier) {
        long count = reconcilesSince(earlier);
        return count == 0 ? Double.NaN : 1000 * (reconcileSeconds - earlier.reconcileSeconds) / count;
    }
}
