package dev.leakguard.engine;

import java.net.URI;

/**
 * One watched pod as the engine sees it, read once from the Pod object: which pod (name and uid),
 * where to read it, against which limit, and which container instance (start time and restart
 * count) the samples belong to, and the workload ("Kind/name", null without a controller) whose replicas
 * are restarted by one plan.
 */
public record ScrapeTarget(
        PodKey pod,
        String podUid,
        String container,
        URI metricsUri,
        URI profileUri,
        double memoryLimitBytes,
        long containerStartMillis,
        int restartCount,
        String workload) {

    /** Same endpoint and same container instance: the running loop and its history can be kept. */
    public boolean sameSeries(ScrapeTarget other) {
        return other != null && podUid.equals(other.podUid) && metricsUri.equals(other.metricsUri)
                && Double.compare(memoryLimitBytes, other.memoryLimitBytes) == 0;
    }
}
