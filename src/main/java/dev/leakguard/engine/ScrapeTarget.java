package dev.leakguard.engine;

import dev.leakguard.scrape.ScrapeAccess;
import java.net.URI;

/**
 * One watched pod as the engine sees it, read once from the Pod object: which pod (name and uid),
 * where to read it, against which limit, and which container instance (start time and restart
 * count) the samples belong to, with which TLS and credentials ({@code access}, the policy's), and the
 * workload ("Kind/name", null without a controller) whose replicas are restarted by one plan.
 * {@code limitSource} is null when no limit is known.
 */
public record ScrapeTarget(
        PodKey pod,
        String podUid,
        String container,
        URI metricsUri,
        URI profileUri,
        double memoryLimitBytes,
        LimitSource limitSource,
        long containerStartMillis,
        int restartCount,
        ScrapeAccess access,
        String workload) {

    /** A plain-http target without credentials nor workload. */
    public ScrapeTarget(PodKey pod, String podUid, String container, URI metricsUri, URI profileUri, double memoryLimitBytes,
                        LimitSource limitSource, long containerStartMillis, int restartCount) {
        this(pod, podUid, container, metricsUri, profileUri, memoryLimitBytes, limitSource, containerStartMillis, restartCount,
                ScrapeAccess.PLAIN_HTTP, null);
    }

    /** Same endpoint and same container instance: the running loop and its history can be kept. */
    public boolean sameSeries(ScrapeTarget other) {
        return other != null && podUid.equals(other.podUid) && metricsUri.equals(other.metricsUri)
                && Double.compare(memoryLimitBytes, other.memoryLimitBytes) == 0;
    }
}
