package dev.leakguard.bench;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.DetectionSettings;
import dev.leakguard.trend.LeakDetector;
import dev.leakguard.trend.LeakDetectors;
import dev.leakguard.trend.Sample;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of one {@link LeakDetector#observe} on a warmed-up detector with a full window: a leaking
 * series that restarts every two hours (so every path of the assessment runs) under a GC sawtooth,
 * with threads.
 * {@code mvn -B test-compile exec:exec@bench -Dbench.args="DetectorBench -f 1 -wi 2 -i 3"}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DetectorBench {

    private static final double LIMIT = 1024 * 1024 * 1024.0;

    @Param({"30m", "1h"})
    public String window;

    private LeakDetector detector;
    private double[] memory;
    private double[] threads;
    private long timestamp;
    private int next;

    @Setup
    public void setUp() {
        Duration length = window.equals("1h") ? Duration.ofHours(1) : Duration.ofMinutes(30);
        detector = LeakDetectors.create(new DetectionSettings(length, Duration.ofMinutes(5), Duration.ofMinutes(15),
                Duration.ofSeconds(15), LIMIT));
        Random random = new Random(1);
        memory = new double[4096];
        threads = new double[memory.length];
        for (int i = 0; i < memory.length; i++) {
            memory[i] = LIMIT * (0.3 + 0.1 * ((i % 8) / 8.0) + 0.005 * random.nextGaussian());
            threads[i] = 40 + random.nextInt(5);
        }
        for (int i = 0; i < 400; i++) {
            observe();
        }
    }

    @Benchmark
    public Assessment observe() {
        timestamp += 15_000;
        int i = next++ & (memory.length - 1);
        // A leak of 360 MiB/h on top of the pattern, restarting every two hours, so every path runs.
        long sinceStart = timestamp % 7_200_000L;
        double leaked = sinceStart * 0.1;
        return detector.observe(new Sample(timestamp, memory[i] + leaked, threads[i], timestamp - sinceStart, -1));
    }
}
