package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.PodRisk;
import dev.leakguard.engine.LimitSource;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PodView;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusBuilderTest {

    @Test
    void theStatusShowsThePredictedTimeToLimitAndItsPessimisticBound() {
        Assessment leaking = new Assessment(Verdict.LEAKING, 400e6, 512e6, 1e5, 40, 0, 1200, 540, 0.9, 0.99, 120,
                "memory floor grows");
        PodRisk risk = riskOf(new PodView(new PodKey("shop", "orders-0"), Verdict.LEAKING, leaking, null, List.of(),
                null, null, LimitSource.CONTAINER_SPEC));

        assertThat(risk.getTimeToLimit()).isEqualTo("20m");
        assertThat(risk.getTimeToLimitLower()).isEqualTo("9m");
    }

    @Test
    void aHealthyPodHasNoTimeToLimit() {
        Assessment healthy = new Assessment(Verdict.SUSPECT, 400e6, 512e6, 1e3, 40, 0, Double.POSITIVE_INFINITY,
                Double.POSITIVE_INFINITY, 0.1, 0.99, 120, "threads grow");
        PodRisk risk = riskOf(new PodView(new PodKey("shop", "orders-0"), Verdict.SUSPECT, healthy, null, List.of(),
                null, null, LimitSource.CONTAINER_SPEC));

        assertThat(risk.getTimeToLimit()).isNull();
        assertThat(risk.getTimeToLimitLower()).isNull();
    }

    private static PodRisk riskOf(PodView view) {
        LeakPolicy policy = TestPolicies.fromSpec("shop", "orders", """
                selector: {matchLabels: {app: orders}}
                metrics: {port: metrics}
                """);
        policy.getMetadata().setGeneration(1L);
        return new StatusBuilder(ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), 1))
                .watching(policy, List.of(view), Map.of(), 0, 0).getRiskiestPods().get(0);
    }
}
