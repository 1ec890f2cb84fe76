package dev.leakguard.bench.detection;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.DetectionSettings;
import dev.leakguard.trend.LeakDetector;
import dev.leakguard.trend.LeakDetectors;
import dev.leakguard.trend.Sample;
import dev.leakguard.trend.Verdict;

/**
 * A way to decide, online, whether to restart a container now. {@link #replay} feeds a trace
 * sample by sample and returns, per sample, whether the policy would act at that moment; a
 * decision at sample k uses only samples 0..k.
 */
interface Policy {

    String name();

    Replay replay(Trace trace, DetectionSettings settings);

    /**
     * Per sample: whether the policy acts, and the time to limit it predicts (point estimate and
     * pessimistic bound; {@code null} for policies that predict none).
     */
    record Replay(boolean[] act, double[] secondsToLimit, double[] secondsToLimitLower) {

        static Replay actionsOnly(boolean[] act) {
            return new Replay(act, null, null);
        }
    }

    /** leakguard's detector, exactly as the operator uses it: act on {@link Verdict#LEAKING}. */
    static Policy leakguard() {
        return new Policy() {
            @Override
            public String name() {
                return "leakguard";
            }

            @Override
            public Replay replay(Trace trace, DetectionSettings settings) {
                LeakDetector detector = LeakDetectors.create(settings.withMemoryLimitBytes(trace.limitBytes()));
                boolean[] act = new boolean[trace.size()];
                double[] secondsToLimit = new double[trace.size()];
                double[] secondsToLimitLower = new double[trace.size()];
                for (int k = 0; k < trace.size(); k++) {
                    Sample sample = new Sample(trace.timestampMillis()[k], trace.memoryBytes()[k], trace.threads()[k],
                            trace.containerStartMillis()[k], trace.restartCount()[k]);
                    Assessment assessment = detector.observe(sample);
                    act[k] = assessment.verdict() == Verdict.LEAKING;
                    secondsToLimit[k] = assessment.secondsToLimit();
                    secondsToLimitLower[k] = assessment.secondsToLimitLower();
                }
                return new Replay(act, secondsToLimit, secondsToLimitLower);
            }
        };
    }

    /**
     * The common Prometheus alert {@code predict_linear(memory[range], horizon) >= limit} with
     * {@code for: 5m}: ordinary least squares over the range, extrapolated to now + horizon. The
     * range is {@code windows} times the detection window (30m and 6h at the benchmark's 30 m
     * window), so it scales with a recording's shorter settings, as {@link #forMillis} does.
     */
    static Policy predictLinear(String name, int windows) {
        return new Policy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Replay replay(Trace trace, DetectionSettings settings) {
                long[] t = trace.timestampMillis();
                double[] y = trace.memoryBytes();
                double horizon = settings.horizon().toMillis() / 1000.0;
                long windowMillis = settings.window().toMillis() * windows;
                boolean[] condition = new boolean[t.length];
                int from = 0;
                for (int k = 0; k < t.length; k++) {
                    while (t[from] <= t[k] - windowMillis) {
                        from++;
                    }
                    condition[k] = k > from && predict(t, y, from, k, horizon) >= trace.limitBytes();
                }
                return Replay.actionsOnly(sustained(t, condition, forMillis(settings)));
            }
        };
    }

    /** {@code memory >= 90% of limit} with {@code for: 5m} (see {@link #forMillis}). */
    static Policy fixedThreshold(String name, double fraction) {
        return new Policy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Replay replay(Trace trace, DetectionSettings settings) {
                boolean[] condition = new boolean[trace.size()];
                for (int k = 0; k < trace.size(); k++) {
                    condition[k] = trace.memoryBytes()[k] >= fraction * trace.limitBytes();
                }
                return Replay.actionsOnly(sustained(trace.timestampMillis(), condition, forMillis(settings)));
            }
        };
    }

    /** Prometheus' {@code predict_linear}: OLS with time relative to the evaluation time, value at +horizon. */
    private static double predict(long[] t, double[] y, int from, int to, double horizonSeconds) {
        int n = to - from + 1;
        double meanX = 0;
        double meanY = 0;
        for (int i = from; i <= to; i++) {
            meanX += (t[i] - t[to]) / 1000.0;
            meanY += y[i];
        }
        meanX /= n;
        meanY /= n;
        double covariance = 0;
        double variance = 0;
        for (int i = from; i <= to; i++) {
            double dx = (t[i] - t[to]) / 1000.0 - meanX;
            covariance += dx * (y[i] - meanY);
            variance += dx * dx;
        }
        double slope = covariance / variance;
        double valueNow = meanY - slope * meanX;
        return valueNow + slope * horizonSeconds;
    }

    /**
     * An alert's {@code for:} duration, a third of the horizon: 5m at the benchmark's 15 m horizon,
     * 1m at a recording's 3 m (a fixed 5m would outlast the whole horizon there).
     */
    private static long forMillis(DetectionSettings settings) {
        return settings.horizon().toMillis() / 3;
    }

    /** An alert's {@code for:}: the condition must have held at every evaluation for {@code forMillis}. */
    private static boolean[] sustained(long[] t, boolean[] condition, long forMillis) {
        boolean[] act = new boolean[t.length];
        long since = -1;
        for (int k = 0; k < t.length; k++) {
            if (!condition[k]) {
                since = -1;
                continue;
            }
            if (since < 0) {
                since = t[k];
            }
            act[k] = t[k] - since >= forMillis;
        }
        return act;
    }
}
