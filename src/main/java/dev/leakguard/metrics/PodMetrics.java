package dev.leakguard.metrics;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which pods get per-pod series ({@code leakguard_pod_*}) on the operator's own /metrics: the
 * value of {@code leakguard run --pod-metrics}. At 10,000 pods, eight series per pod are most of
 * a 7 MiB exposition that nobody reads for healthy pods, so by default only pods at risk are exported.
 */
public enum PodMetrics {
    /** Every watched pod that has been assessed. */
    ALL,
    /** Pods judged suspect or leaking now or within the last hour ({@link SelectedPodMetrics#AT_RISK_KEPT_FOR}). */
    AT_RISK,
    /** No per-pod series; policy-level and operator-level series only. */
    NONE;

    public static final String FLAG = "--pod-metrics";
    /** The one place the default is written: the flag's default, and the operator's settings through {@link #DEFAULT}. */
    public static final String DEFAULT_FLAG_VALUE = "at-risk";
    public static final PodMetrics DEFAULT = parse(DEFAULT_FLAG_VALUE);

    /** How the value is written on the command line and in the Helm values: all, at-risk, none. */
    public String flagValue() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The selection named by {@code text}; an IllegalArgumentException naming the flag and the allowed values otherwise. */
    public static PodMetrics parse(String text) {
        return Arrays.stream(values()).filter(v -> v.flagValue().equals(text)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(FLAG + " must be one of "
                        + Arrays.stream(values()).map(PodMetrics::flagValue).collect(Collectors.joining(", ")) + ", got '" + text + "'"));
    }
}
