package dev.leakguard.policy;

/** Where samples come from ({@code spec.metrics.source}). Lower-case constants because they are the values users write in YAML. */
public enum MetricsSource { pods, prometheus }
