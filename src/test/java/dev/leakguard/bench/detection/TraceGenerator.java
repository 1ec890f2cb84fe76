package dev.leakguard.bench.detection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded synthetic memory/thread series in twelve families, each with ground truth. Memory is
 * {@code base + warm-up + traffic + leak} (the floor) plus a GC sawtooth, Gaussian noise and rare
 * allocation spikes (the peaks); the OOM time is the first moment the true memory, scraped or not,
 * reaches the limit. Scrapes come every 15 s with ±1 s jitter, and in some families with lost
 * scrapes and gaps of minutes; in {@code gappy-irregular} at irregular intervals of 3–45 s with
 * gaps of 10–45 min (an operator restart or a Prometheus outage: the container keeps running).
 * {@code late-onset} starts its leak after 0.5, 1, 2, 4 or 6 h of healthy running.
 */
final class TraceGenerator {

    static final double INTERVAL_SECONDS = 15;
    private static final double MIB = 1024 * 1024;
    private static final double HOUR = 3600;

    /** The families, and below how many traces of each one corpus holds. */
    static final String[] FAMILIES = {
        "linear-leak", "late-leak", "slow-leak", "healthy-sawtooth", "warmup-plateau",
        "traffic-no-leak", "traffic-leak", "gappy-noisy", "restarts", "thread-leak", "late-onset", "gappy-irregular"};
    private static final int[] COUNTS = {40, 30, 30, 40, 30, 40, 30, 30, 30, 30, 30, 30};
    private static final double[] LATE_ONSETS_HOURS = {0.5, 1, 2, 4, 6};

    private final long seed;

    TraceGenerator(long seed) {
        this.seed = seed;
    }

    List<Trace> generate() {
        List<Trace> traces = new ArrayList<>();
        for (int f = 0; f < FAMILIES.length; f++) {
            for (int i = 0; i < COUNTS[f]; i++) {
                SplittableRandom random = new SplittableRandom(seed * 1_000_003L + f * 10_007L + i);
                traces.add(generate(FAMILIES[f], i, random));
            }
        }
        return traces;
    }

    private Trace generate(String family, int index, SplittableRandom random) {
        Process p = Process.typical(random);
        String name = family + "-" + index;
        switch (family) {
            case "linear-leak" -> {
                p.duration = 10 * HOUR;
                p.leakOnset = 0;
                p.reachAfter = between(random, 0.6 * HOUR, 6 * HOUR);
            }
            case "late-leak" -> {
                p.duration = 12 * HOUR;
                p.leakOnset = between(random, 1 * HOUR, 4 * HOUR);
                p.reachAfter = between(random, 0.6 * HOUR, 5 * HOUR);
            }
            case "slow-leak" -> {
                p.duration = 8 * HOUR;
                p.leakOnset = between(random, 0, 2 * HOUR);
                p.reachAfter = between(random, 2.0, 5.0) * (p.duration - p.leakOnset);
            }
            case "healthy-sawtooth" -> {
                p.duration = 8 * HOUR;
                p.sawAmplitude = between(random, 0.05, 0.3);
                p.sawPeriod = between(random, 20, 600);
                p.headroomAtPeak = between(random, 0.03, 0.25);
            }
            case "warmup-plateau" -> {
                p.duration = 4 * HOUR;
                p.warmAmplitude = between(random, 0.2, 0.5);
                p.warmTau = between(random, 2 * 60, 20 * 60);
                p.headroomAtPeak = between(random, 0.04, 0.2);
            }
            case "traffic-no-leak" -> {
                p.duration = 12 * HOUR;
                addTraffic(p, random);
                p.headroomAtPeak = between(random, 0.04, 0.2);
            }
            case "traffic-leak" -> {
                p.duration = 12 * HOUR;
                addTraffic(p, random);
                p.leakOnset = between(random, 0, 3 * HOUR);
                p.reachAfter = between(random, 1 * HOUR, 6 * HOUR);
            }
            case "gappy-noisy" -> {
                p.duration = 10 * HOUR;
                p.noise = between(random, 0.01, 0.03);
                p.spikeProbability = 0.005;
                p.lostScrapes = between(random, 0.1, 0.4);
                p.gapsPerHour = between(random, 0.2, 1.5);
                if (index % 2 == 0) {
                    p.leakOnset = between(random, 0, 2 * HOUR);
                    p.reachAfter = between(random, 1 * HOUR, 6 * HOUR);
                } else {
                    p.headroomAtPeak = between(random, 0.05, 0.2);
                }
            }
            case "restarts" -> {
                p.duration = 12 * HOUR;
                p.warmAmplitude = between(random, 0.1, 0.3);
                p.warmTau = between(random, 60, 10 * 60);
                p.containerStartKnown = random.nextBoolean();
                int restarts = 1 + random.nextInt(3);
                double at = 0;
                for (int r = 0; r < restarts; r++) {
                    at += between(random, 1 * HOUR, 3 * HOUR);
                    p.restarts.add(at);
                }
                if (index % 2 == 0) {
                    p.leakOnset = at + between(random, 0, 0.5 * HOUR);
                    p.reachAfter = between(random, 1 * HOUR, 4 * HOUR);
                } else {
                    p.headroomAtPeak = between(random, 0.05, 0.2);
                }
            }
            case "thread-leak" -> {
                p.duration = 12 * HOUR;
                p.noise = between(random, 0.01, 0.025);
                p.leakOnset = between(random, 0, 2 * HOUR);
                p.reachAfter = between(random, 2 * HOUR, 8 * HOUR);
                p.threadLeak = true;
            }
            case "late-onset" -> {
                p.duration = 12 * HOUR;
                p.leakOnset = LATE_ONSETS_HOURS[index % LATE_ONSETS_HOURS.length] * HOUR;
                p.reachAfter = between(random, 0.6 * HOUR, 4 * HOUR);
            }
            case "gappy-irregular" -> {
                p.duration = 12 * HOUR;
                p.irregular = true;
                p.lostScrapes = between(random, 0, 0.2);
                p.gapsPerHour = between(random, 0.1, 0.5);
                p.gapSeconds = new double[] {10 * 60, 45 * 60};
                p.base = between(random, 0.3, 0.45);
                if (index % 2 == 0) {
                    p.leakOnset = between(random, 0, 5 * HOUR);
                    p.reachAfter = between(random, 1 * HOUR, 5 * HOUR);
                } else {
                    p.headroomAtPeak = between(random, 0.05, 0.2);
                }
            }
            default -> throw new IllegalArgumentException(family);
        }
        return p.simulate(family, name, random);
    }

    private static void addTraffic(Process p, SplittableRandom random) {
        p.dailyAmplitude = between(random, 0.05, 0.3);
        p.dailyPhase = between(random, 0, 2 * Math.PI);
        double t = between(random, 0, HOUR);
        while (t < p.duration) {
            double length = between(random, 5 * 60, 60 * 60);
            p.bursts.add(new double[] {t, length, between(random, 0.05, 0.25), between(random, 30, 180)});
            t += length + between(random, 0.5 * HOUR, 3 * HOUR);
        }
    }

    static double between(SplittableRandom random, double low, double high) {
        return low + (high - low) * random.nextDouble();
    }

    /** The knobs of one simulated container; amplitudes are fractions of the memory limit. */
    private static final class Process {
        static final double MIN_LEAK_SHARE = 0.25;
        double duration;
        double limit;
        double base;
        double warmAmplitude;
        double warmTau;
        double sawAmplitude;
        double sawPeriod;
        double noise;
        double spikeProbability;
        double dailyAmplitude;
        double dailyPhase;
        final List<double[]> bursts = new ArrayList<>();
        double leakOnset = Double.NaN;
        double reachAfter = Double.NaN;
        /** Never-reaching families: the limit is set so the highest peak leaves this headroom. */
        double headroomAtPeak = Double.NaN;
        double lostScrapes;
        double gapsPerHour;
        /** Shortest and longest gap. */
        double[] gapSeconds = {2 * 60, 12 * 60};
        /** Scrapes at random intervals of 3–45 s instead of every 15 s ± 1 s. */
        boolean irregular;
        final List<Double> restarts = new ArrayList<>();
        boolean containerStartKnown = true;
        boolean threadLeak;
        double threadBase;
        double threadBytes;

        static Process typical(SplittableRandom random) {
            Process p = new Process();
            p.limit = Math.pow(2, 8 + random.nextInt(5)) * MIB;
            p.base = between(random, 0.2, 0.4);
            p.warmAmplitude = between(random, 0.02, 0.1);
            p.warmTau = between(random, 30, 4 * 60);
            p.sawAmplitude = between(random, 0.03, 0.15);
            p.sawPeriod = between(random, 20, 300);
            p.noise = between(random, 0.002, 0.01);
            p.spikeProbability = 0.001;
            p.threadBase = 10 + random.nextInt(200);
            p.threadBytes = between(random, 64 * 1024, 1024 * 1024);
            p.containerStartKnown = random.nextDouble() < 0.7;
            return p;
        }

        double containerStart(double t) {
            double start = 0;
            for (double restart : restarts) {
                if (restart <= t) {
                    start = restart;
                }
            }
            return start;
        }

        double traffic(double t) {
            double level = dailyAmplitude * 0.5 * (1 + Math.sin(2 * Math.PI * t / (24 * HOUR) + dailyPhase));
            for (double[] burst : bursts) {
                double start = burst[0];
                double length = burst[1];
                double height = burst[2];
                double tau = burst[3];
                if (t >= start && t < start + length) {
                    level += height * (1 - Math.exp(-(t - start) / tau));
                } else if (t >= start + length) {
                    level += height * (1 - Math.exp(-length / tau)) * Math.exp(-(t - start - length) / tau);
                }
            }
            return level;
        }

        /**
         * Fraction of the limit the leak adds per second, so that it is reached about reachAfter
         * after onset. When traffic alone nearly fills the limit, the leak still adds at least
         * {@value #MIN_LEAK_SHARE} of it in that time: with less, a "leak" trace could end at 98 %
         * of its limit without reaching it, and acting on its leak would count as a false action.
         */
        double leakRate() {
            double peakWithoutLeak = base + warmAmplitude + sawAmplitude + dailyAmplitude + maxBurst() + 2 * noise;
            return Math.max(MIN_LEAK_SHARE, 1 - peakWithoutLeak) / reachAfter;
        }

        private double maxBurst() {
            return bursts.stream().mapToDouble(b -> b[2]).max().orElse(0);
        }

        Trace simulate(String family, String name, SplittableRandom random) {
            boolean leaks = !Double.isNaN(leakOnset);
            double rate = leaks ? leakRate() : 0;
            double[] time = scrapeTimes(random);
            int steps = time.length;
            double[] memory = new double[steps];
            double[] threads = new double[steps];
            double sawPhase = random.nextDouble();
            double period = sawPeriod;
            for (int k = 0; k < steps; k++) {
                double t = time[k];
                double start = containerStart(t);
                double age = t - start;
                double leaked = leaks && t >= leakOnset && leakOnset >= start ? rate * (t - leakOnset) : 0;
                double floor = base + warmAmplitude * (1 - Math.exp(-age / warmTau)) + traffic(t) + leaked;
                sawPhase += step(time, k) / period;
                if (sawPhase >= 1) {
                    sawPhase -= Math.floor(sawPhase);
                    period = sawPeriod * between(random, 0.7, 1.3);
                }
                double value = floor + sawAmplitude * sawPhase + noise * random.nextGaussian();
                if (random.nextDouble() < spikeProbability) {
                    value += between(random, 0.03, 0.12);
                }
                memory[k] = Math.max(0.01, value);
                double inFlight = 5 + 40 * traffic(t);
                double leakedThreads = threadLeak && leaked > 0 ? leaked * limit / threadBytes : 0;
                threads[k] = Math.max(1, Math.round(threadBase + inFlight + Math.sqrt(inFlight) * random.nextGaussian()
                        + leakedThreads));
            }
            double limitFraction = 1;
            if (!leaks) {
                double highest = 0;
                for (double m : memory) {
                    highest = Math.max(highest, m);
                }
                limitFraction = highest / (1 - headroomAtPeak);
            }
            int reached = -1;
            for (int k = 0; k < steps && leaks; k++) {
                if (memory[k] >= limitFraction) {
                    reached = k;
                    break;
                }
            }
            return scrape(family, name, random, time, memory, threads, limitFraction, reached);
        }

        /** Seconds since the previous scrape time: the nominal interval unless sampling is irregular. */
        private double step(double[] time, int k) {
            return irregular && k > 0 ? time[k] - time[k - 1] : INTERVAL_SECONDS;
        }

        private double[] scrapeTimes(SplittableRandom random) {
            if (!irregular) {
                double[] time = new double[(int) (duration / INTERVAL_SECONDS)];
                for (int k = 0; k < time.length; k++) {
                    time[k] = k * INTERVAL_SECONDS + between(random, -1, 1);
                }
                return time;
            }
            double[] time = new double[(int) (duration / 3) + 1];
            int n = 0;
            for (double t = 0; t < duration; t += between(random, 3, 45)) {
                time[n++] = t;
            }
            return Arrays.copyOf(time, n);
        }

        private Trace scrape(String family, String name, SplittableRandom random, double[] time, double[] memory,
                             double[] threads, double limitFraction, int reached) {
            int end = reached >= 0 ? reached : time.length;
            long[] ts = new long[end];
            double[] mem = new double[end];
            double[] thr = new double[end];
            long[] starts = new long[end];
            int[] restartCounts = new int[end];
            int n = 0;
            double gapUntil = -1;
            for (int k = 0; k < end; k++) {
                double t = time[k];
                if (t < gapUntil || random.nextDouble() < lostScrapes) {
                    continue;
                }
                if (random.nextDouble() < gapsPerHour * step(time, k) / HOUR) {
                    gapUntil = t + between(random, gapSeconds[0], gapSeconds[1]);
                    continue;
                }
                double start = containerStart(t);
                ts[n] = Math.round(Math.max(0, t) * 1000);
                mem[n] = memory[k] * limit;
                thr[n] = threads[k];
                starts[n] = containerStartKnown ? Math.round(start * 1000) : -1;
                restartCounts[n] = containerStartKnown ? restartsBefore(t) : -1;
                n++;
            }
            double segmentStart = reached >= 0 ? containerStart(time[reached]) : 0;
            return new Trace(family, name, Arrays.copyOf(ts, n), Arrays.copyOf(mem, n), Arrays.copyOf(thr, n),
                    Arrays.copyOf(starts, n), Arrays.copyOf(restartCounts, n), limit * limitFraction,
                    reached >= 0 ? Math.round(time[reached] * 1000) : -1,
                    reached >= 0 ? Math.round(leakOnset * 1000) : -1, Math.round(segmentStart * 1000));
        }

        private int restartsBefore(double t) {
            return (int) restarts.stream().filter(r -> r <= t).count();
        }
    }
}
