package dev.leakguard.engine;

import dev.leakguard.decide.PodSelector;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.policy.MetricsSource;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.policy.ScrapeAuth;
import dev.leakguard.scrape.parse.SeriesSelector;
import dev.leakguard.trend.DetectionSettings;
import java.time.Duration;

/**
 * A LeakPolicy whose spec passed validation, with every string parsed once: durations, quantities,
 * series selectors and paths. Everything downstream works from this, never from raw spec text.
 *
 * @param ref          the policy's name and uid
 * @param profileType  {@link ProfileType#none} when no profile is configured
 * @param profilePort  where the profile is served: {@code spec.profile.port}, else the metrics port
 * @param detection    how its pods are judged; the memory limit is the policy's override, or NaN to
 *                     take each pod's own container limit
 * @param restart      what the restart door allows for it
 * @param auth         how its pods' endpoints are reached: scheme, TLS and where the credentials are
 */
public record ResolvedPolicy(
        PolicyRef ref,
        PodSelector selector,
        MetricsSource source,
        String prometheusUrl,
        MetricsPort port,
        String metricsPath,
        SeriesSelector memory,
        SeriesSelector threads,
        ProfileType profileType,
        MetricsPort profilePort,
        String profilePath,
        int topGroups,
        DetectionSettings detection,
        RestartSettings restart,
        ScrapeAuth auth) {

    public PolicyKey key() {
        return ref.key();
    }

    public Duration interval() {
        return detection.interval();
    }

    public boolean hasThreads() {
        return threads != null;
    }

    public boolean hasProfile() {
        return profileType != ProfileType.none;
    }

    /** The spec part the scrape loops depend on; a change here restarts them with fresh detectors. */
    public boolean sameScrapeShape(ResolvedPolicy other) {
        return other != null && port.equals(other.port) && metricsPath.equals(other.metricsPath)
                && memory.toString().equals(other.memory.toString())
                && String.valueOf(threads).equals(String.valueOf(other.threads))
                && detection.equals(other.detection) && source == other.source;
    }
}
