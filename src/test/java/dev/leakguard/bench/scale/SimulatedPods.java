package dev.leakguard.bench.scale;

/**
 * The simulated fleet. Everything about pod {@code i} — its runtime, whether it leaks, its memory
 * and thread counts at a moment — is a pure function of {@code i} and the wall clock, so the API
 * server process and the endpoint processes agree without talking to each other.
 *
 * <p>Healthy pods follow a GC sawtooth with noise. Leaking pods (about 3 %) grow steadily until
 * they would reach the limit, then start again from their base, as if the OOM killer had restarted
 * them; their phases are spread, so at any moment some are just suspected and some are close to
 * the limit.
 */
final class SimulatedPods {
    static final double MI = 1024.0 * 1024.0;
    static final String MEMORY_LIMIT = "512Mi";
    static final double MEMORY_LIMIT_BYTES = 512 * MI;
    static final int LEAK_EVERY = 33;

    enum Runtime { GO, JVM }

    private SimulatedPods() {
    }

    /** Seven in ten pods are Go services, the rest JVM services. */
    static Runtime runtime(int pod) {
        return pod % 10 < 7 ? Runtime.GO : Runtime.JVM;
    }

    static boolean leaking(int pod) {
        return pod % LEAK_EVERY == 7;
    }

    /** The memory series: resident memory of a Go process, old-generation heap of a JVM. */
    static double memoryBytes(int pod, long epochMillis) {
        double minutes = epochMillis / 60_000.0;
        double base = runtime(pod) == Runtime.GO ? (60 + 200 * unit(pod, 1)) * MI : (50 + 150 * unit(pod, 1)) * MI;
        // A garbage collector's cycle: well inside one detection bucket, so the floor is flat.
        double sawtoothPeriod = (20 + 40 * unit(pod, 3)) / 60;
        double sawtooth = (0.05 + 0.1 * unit(pod, 2)) * base * fraction(minutes / sawtoothPeriod + unit(pod, 4));
        double noise = (unit(pod, (long) (minutes * 4) + 1000) - 0.5) * MI;
        double leaked = 0;
        if (leaking(pod)) {
            double rate = (15 + 15 * unit(pod, 5)) * MI;
            double cycle = (MEMORY_LIMIT_BYTES * 0.97 - base - sawtooth) / rate;
            leaked = rate * cycle * leakPhase(pod, minutes, cycle);
        }
        return base + sawtooth + leaked + noise;
    }

    /** Goroutines of a Go process, live threads of a JVM. */
    static double threads(int pod, long epochMillis) {
        double minutes = epochMillis / 60_000.0;
        boolean go = runtime(pod) == Runtime.GO;
        double base = go ? 30 + 300 * unit(pod, 7) : 25 + 150 * unit(pod, 7);
        double jitter = Math.round((unit(pod, (long) (minutes * 4) + 2000) - 0.5) * 6);
        double leaked = 0;
        if (leaking(pod)) {
            double cycle = 8 + 8 * unit(pod, 5);
            leaked = Math.round((go ? 20 : 10) * cycle * leakPhase(pod, minutes, cycle));
        }
        return Math.max(1, Math.round(base + leaked + jitter));
    }

    /** Where in its grow-then-restart cycle a leaking pod is, 0 to 1. */
    private static double leakPhase(int pod, double minutes, double cycleMinutes) {
        return fraction(minutes / cycleMinutes + unit(pod, 6));
    }

    private static double fraction(double x) {
        return x - Math.floor(x);
    }

    /** A deterministic pseudo-random number in [0, 1) for (pod, salt). */
    static double unit(int pod, long salt) {
        long z = pod * 0x9E3779B97F4A7C15L + salt * 0xC2B2AE3D27D4EB4FL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }
}
