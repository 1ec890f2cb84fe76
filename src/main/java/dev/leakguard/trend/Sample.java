package dev.leakguard.trend;

public record Sample(long timestampMillis, double memoryBytes, double threads, long containerStartMillis, int restartCount) {
}
