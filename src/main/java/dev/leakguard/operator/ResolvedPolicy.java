package dev.leakguard.operator;

import dev.leakguard.api.ActionType;
import dev.leakguard.api.MetricsSource;
import dev.leakguard.profile.ProfileType;
import dev.leakguard.scrape.parse.SeriesSelector;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.time.Duration;

/**
 * A LeakPolicy whose spec passed validation, with every string parsed once: durations, quantities,
 * series selectors and paths. Everything downstream works from this, never from raw spec text.
 */
/** {@code profileType} is null when no profile is configured. */
public record ResolvedPolicy(
        PolicyKey key,
        long generation,
        LabelSelector selector,
        MetricsSource source,
        String prometheusUrl,
        IntOrString port,
        String metricsPath,
        Duration interval,
        SeriesSelector memory,
        SeriesSelector threads,
        ProfileType profileType,
        String profilePath,
        int topGroups,
        Duration window,
        Duration warmup,
        Duration horizon,
        double memoryLimitBytes,
        ActionType actionType,
        boolean dryRun,
        int maxConcurrent,
        Duration cooldown,
        int maxRestartsPerHour) {

    public boolean hasThreads() {
        return threads != null;
    }

    public boolean hasProfile() {
        return profileType != null;
    }

    /** The spec part the scrape loops depend on; a change here restarts them with fresh detectors. */
    public boolean sameScrapeShape(ResolvedPolicy other) {
        return other != null && port.equals(other.port) && metricsPath.equals(other.metricsPath)
                && interval.equals(other.interval) && memory.toString().equals(other.memory.toString())
                && String.valueOf(threads).equals(String.valueOf(other.threads)) && window.equals(other.window)
                && warmup.equals(other.warmup) && horizon.equals(other.horizon)
                && Double.compare(memoryLimitBytes, other.memoryLimitBytes) == 0 && source == other.source;
    }
}
