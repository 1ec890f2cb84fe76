package dev.leakguard.trend;

public interface LeakDetector {
    Assessment observe(Sample sample);

    Assessment current();
}
