package dev.leakguard.bench.detection;

import java.util.ArrayList;
import java.util.List;

/** Replays one family of a benchmark seed through leakguard, for regression tests on benchmark traces. */
final class BenchmarkReplays {

    private BenchmarkReplays() {
    }

    /** The traces of {@code family} on {@code seed} that leakguard acts on at least once, in corpus order. */
    static List<String> actedOn(long seed, String family) {
        List<String> actedOn = new ArrayList<>();
        for (Trace trace : new TraceGenerator(seed).generate()) {
            if (!trace.family().equals(family)) {
                continue;
            }
            for (boolean acted : Policy.leakguard().replay(trace, DetectionBenchmark.SETTINGS).act()) {
                if (acted) {
                    actedOn.add(trace.name());
                    break;
                }
            }
        }
        return actedOn;
    }

    /** What leakguard did on one trace of {@code seed}. */
    static DetectionBenchmark.Outcome outcome(long seed, String name) {
        for (Trace trace : new TraceGenerator(seed).generate()) {
            if (trace.name().equals(name)) {
                return DetectionBenchmark.Outcome.of(trace, Policy.leakguard().replay(trace, DetectionBenchmark.SETTINGS),
                        DetectionBenchmark.SETTINGS);
            }
        }
        throw new IllegalArgumentException("no trace " + name + " on seed " + seed);
    }
}
