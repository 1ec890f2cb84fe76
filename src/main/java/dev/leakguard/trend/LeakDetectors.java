package dev.leakguard.trend;

import java.util.ArrayDeque;

/** Interim least-squares detector so the operator can be wired; replaced by the robust engine. */
public final class LeakDetectors {
    private LeakDetectors() {
    }

    public static LeakDetector create(DetectionSettings settings) {
        return new LeakDetector() {
            final ArrayDeque<Sample> window = new ArrayDeque<>();
            Assessment current = new Assessment(Verdict.INSUFFICIENT_DATA, Double.NaN, settings.memoryLimitBytes(), 0, Double.NaN, 0,
                    Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, 1, 0, "no samples yet");

            @Override
            public Assessment observe(Sample s) {
                window.addLast(s);
                while (window.peekFirst().timestampMillis() < s.timestampMillis() - settings.window().toMillis()) {
                    window.removeFirst();
                }
                int n = window.size();
                if (n < 8) {
                    return current = new Assessment(Verdict.INSUFFICIENT_DATA, s.memoryBytes(), settings.memoryLimitBytes(), 0, s.threads(), 0,
                            Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, 1, n, "collecting samples");
                }
                double mt = 0, my = 0;
                for (Sample x : window) { mt += x.timestampMillis() / 1000.0; my += x.memoryBytes(); }
                mt /= n; my /= n;
                double sxy = 0, sxx = 0, syy = 0;
                for (Sample x : window) {
                    double dt = x.timestampMillis() / 1000.0 - mt, dy = x.memoryBytes() - my;
                    sxy += dt * dy; sxx += dt * dt; syy += dy * dy;
                }
                double slope = sxx == 0 ? 0 : sxy / sxx;
                double r2 = syy == 0 ? 0 : sxy * sxy / (sxx * syy);
                double tts = slope > 0 ? (settings.memoryLimitBytes() - s.memoryBytes()) / slope : Double.POSITIVE_INFINITY;
                Verdict v = r2 < 0.5 || slope <= 0 ? Verdict.HEALTHY
                        : tts <= settings.horizon().toSeconds() ? Verdict.LEAKING : Verdict.SUSPECT;
                return current = new Assessment(v, s.memoryBytes(), settings.memoryLimitBytes(), slope, s.threads(), 0, tts, tts, r2, 0, n,
                        v == Verdict.HEALTHY ? "no significant growth" : "memory grows");
            }

            @Override
            public Assessment current() {
                return current;
            }
        };
    }
}
