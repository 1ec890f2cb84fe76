package dev.leakguard.trend;

public record Assessment(Verdict verdict, double memoryBytes, double memoryLimitBytes, double memoryGrowthBytesPerSecond,
                         double threads, double threadGrowthPerSecond, double secondsToLimit, double secondsToLimitLower,
                         double fitQuality, double significance, int samples, String reason) {
}
