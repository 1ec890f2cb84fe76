package dev.leakguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.testing.TestingClock;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import io.micrometer.core.instrument.Meter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code --pod-metrics} on a real Micrometer registry and a clock that moves only when told to:
 * which pods have {@code leakguard_pod_*} meters, and that nothing else is touched.
 */
class SelectedPodMetricsTest {
    private final TestingClock clock = new TestingClock(Instant.parse("2026-12-03T10:00:00Z"));
    private final MicrometerOperatorMetrics registry = new MicrometerOperatorMetrics("test");

    private OperatorMetrics selecting(PodMetrics selection) {
        return SelectedPodMetrics.of(selection, registry, clock);
    }

    private static void judge(OperatorMetrics metrics, String pod, Verdict verdict) {
        metrics.pod("shop", pod, "checkout", verdict, new Assessment(verdict, 4e8, 5.36e8, 1e5, 100, 0.5, 600, 500, 0.9, 0.001, 100, "test"));
    }

    /** The pods that have per-pod meters, each once (a pod has eight). */
    private List<String> exportedPods() {
        return registry.registry().getMeters().stream().map(Meter::getId).filter(id -> id.getName().startsWith("leakguard_pod_"))
                .map(id -> id.getTag("pod")).distinct().sorted().toList();
    }

    private long podMeters() {
        return registry.registry().getMeters().stream().filter(m -> m.getId().getName().startsWith("leakguard_pod_")).count();
    }

    @Test
    void aHealthyPodHasNoSeriesAtRisk() {
        OperatorMetrics metrics = selecting(PodMetrics.AT_RISK);
        judge(metrics, "healthy", Verdict.HEALTHY);
        judge(metrics, "warming", Verdict.INSUFFICIENT_DATA);
        judge(metrics, "unreachable", Verdict.UNKNOWN);
        assertThat(exportedPods()).isEmpty();
        assertThat(registry.scrape()).doesNotContain("leakguard_pod_");
    }

    @Test
    void suspectAndLeakingPodsHaveTheirSeries() {
        OperatorMetrics metrics = selecting(PodMetrics.AT_RISK);
        judge(metrics, "suspect", Verdict.SUSPECT);
        judge(metrics, "leaking", Verdict.LEAKING);
        judge(metrics, "healthy", Verdict.HEALTHY);
        assertThat(exportedPods()).containsExactly("leaking", "suspect");
        assertThat(podMeters()).isEqualTo(2 * 8);
        assertThat(registry.scrape())
                .contains("leakguard_pod_verdict{namespace=\"shop\",pod=\"leaking\",policy=\"checkout\",verdict=\"leaking\"} 1")
                .contains("leakguard_pod_seconds_to_limit_lower{namespace=\"shop\",pod=\"suspect\",policy=\"checkout\"} 500");
    }

    @Test
    void aPodBackToHealthyKeepsItsSeriesForAnHourThenLosesThem() {
        OperatorMetrics metrics = selecting(PodMetrics.AT_RISK);
        judge(metrics, "p", Verdict.LEAKING);
        judge(metrics, "p", Verdict.HEALTHY);
        assertThat(registry.scrape()).contains("leakguard_pod_verdict{namespace=\"shop\",pod=\"p\",policy=\"checkout\",verdict=\"healthy\"} 1");

        clock.advance(Duration.ofMinutes(59));
        judge(metrics, "p", Verdict.HEALTHY);
        assertThat(exportedPods()).containsExactly("p");

        clock.advance(Duration.ofMinutes(2));
        judge(metrics, "p", Verdict.HEALTHY);
        assertThat(exportedPods()).isEmpty();
        assertThat(podMeters()).isZero();

        judge(metrics, "p", Verdict.SUSPECT);
        assertThat(exportedPods()).as("at risk again: back").containsExactly("p");
    }

    @Test
    void theHourCountsFromTheLastTimeAtRisk() {
        OperatorMetrics metrics = selecting(PodMetrics.AT_RISK);
        judge(metrics, "p", Verdict.SUSPECT);
        clock.advance(Duration.ofMinutes(50));
        judge(metrics, "p", Verdict.LEAKING);
        clock.advance(Duration.ofMinutes(50));
        judge(metrics, "p", Verdict.HEALTHY);
        assertThat(exportedPods()).containsExactly("p");
    }

    /** A pod no reading reaches any more (its scrapes stopped) still loses its series after the hour, with the next reading of any pod. */
    @Test
    void aPodNoLongerAssessedLosesItsSeriesAfterTheHour() {
        OperatorMetrics metrics = selecting(PodMetrics.AT_RISK);
        judge(metrics, "silent", Verdict.LEAKING);
        clock.advance(Duration.ofMinutes(61));
        judge(metrics, "other", Verdict.HEALTHY);
        assertThat(exportedPods()).isEmpty();
    }

    @Test
    void aDeletedPodLosesItsSeriesAtOnce() {
        OperatorMetrics metrics = selecting(PodMetrics.AT_RISK);
        judge(metrics, "gone", Verdict.LEAKING);
        judge(metrics, "kept", Verdict.LEAKING);
        metrics.forgetPod("shop", "gone", "checkout");
        assertThat(exportedPods()).containsExactly("kept");

        judge(metrics, "gone", Verdict.HEALTHY);
        assertThat(exportedPods()).as("a new pod under the same name starts unexported").containsExactly("kept");
    }

    @Test
    void noneNeverExportsAPod() {
        OperatorMetrics metrics = selecting(PodMetrics.NONE);
        judge(metrics, "leaking", Verdict.LEAKING);
        judge(metrics, "healthy", Verdict.HEALTHY);
        assertThat(exportedPods()).isEmpty();
    }

    @Test
    void allExportsEveryPodForAsLongAsItLives() {
        OperatorMetrics metrics = selecting(PodMetrics.ALL);
        judge(metrics, "healthy", Verdict.HEALTHY);
        judge(metrics, "leaking", Verdict.LEAKING);
        clock.advance(Duration.ofHours(5));
        judge(metrics, "healthy", Verdict.HEALTHY);
        assertThat(exportedPods()).containsExactly("healthy", "leaking");
        metrics.forgetPod("shop", "healthy", "checkout");
        assertThat(exportedPods()).containsExactly("leaking");
    }

    /** Policy and operator series do not depend on the selection. */
    @Test
    void policyLevelSeriesAreUnaffected() {
        OperatorMetrics metrics = selecting(PodMetrics.NONE);
        metrics.policy("shop", "checkout", 3, 1, true);
        metrics.scrape("shop", "checkout", "success", 1_000_000);
        metrics.restartPlan("shop", "checkout", "Deployment/checkout", 120);
        assertThat(registry.scrape()).contains("leakguard_policy_leaking_pods{namespace=\"shop\",policy=\"checkout\"} 1")
                .contains("leakguard_scrapes_total{namespace=\"shop\",policy=\"checkout\",result=\"success\"} 1")
                .contains("leakguard_workload_restart_plan_seconds{namespace=\"shop\",policy=\"checkout\",workload=\"Deployment/checkout\"} 120");
    }

    @Test
    void forgettingThePolicyForgetsItsPodsAtRisk() {
        OperatorMetrics metrics = selecting(PodMetrics.AT_RISK);
        judge(metrics, "p", Verdict.LEAKING);
        metrics.forgetPolicy("shop", "checkout");
        assertThat(exportedPods()).isEmpty();
        judge(metrics, "p", Verdict.HEALTHY);
        assertThat(exportedPods()).isEmpty();
    }

    @Test
    void flagValuesRoundTrip() {
        for (PodMetrics selection : PodMetrics.values()) {
            assertThat(PodMetrics.parse(selection.flagValue())).isEqualTo(selection);
        }
    }
}
