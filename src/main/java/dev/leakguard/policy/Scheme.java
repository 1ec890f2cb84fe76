package dev.leakguard.policy;

/** {@code spec.metrics.scheme}, as in prometheus-operator's PodMonitor endpoints. Lower-case because users write these values. */
public enum Scheme { http, https }
