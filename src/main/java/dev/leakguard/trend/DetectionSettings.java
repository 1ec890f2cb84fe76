package dev.leakguard.trend;

import java.time.Duration;

public record DetectionSettings(Duration window, Duration warmup, Duration horizon, Duration interval, double memoryLimitBytes) {
}
