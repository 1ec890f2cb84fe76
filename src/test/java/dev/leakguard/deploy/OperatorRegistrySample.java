package dev.leakguard.deploy;

import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.metrics.PodMetrics;
import dev.leakguard.metrics.SelectedPodMetrics;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * The operator's real Micrometer registry with every leakguard meter touched once, as /metrics shows it with the
 * default {@code --pod-metrics}: the alerts and dashboard queries checked against it must find a leaking pod's series.
 */
final class OperatorRegistrySample {
    private OperatorRegistrySample() {
    }

    static String exposition() {
        MicrometerOperatorMetrics registry = new MicrometerOperatorMetrics("test");
        OperatorMetrics metrics = SelectedPodMetrics.of(PodMetrics.DEFAULT, registry, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        metrics.pod("shop", "checkout-1", "checkout", Verdict.LEAKING,
                new Assessment(Verdict.LEAKING, 4e8, 5.36e8, 1e5, 120, 0.5, 600, 400, 0.9, 0.001, 120, "test"));
        metrics.policy("shop", "checkout", 3, 1, true);
        metrics.scrape("shop", "checkout", "success", 3_000_000);
        metrics.decision("shop", "checkout", 200_000);
        metrics.action("shop", "checkout", "evict", "done");
        metrics.oomKillMissed("shop", "checkout");
        metrics.restartLoop("shop", "checkout");
        metrics.event("OOMPredicted", "Warning", true);
        metrics.event("OOMPredicted", "Warning", false);
        return registry.scrape();
    }
}
