package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.LeakPolicyStatus;
import dev.leakguard.api.PodRisk;
import dev.leakguard.api.WorkloadRisk;
import dev.leakguard.engine.LimitSource;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.net.URI;
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
                null, null, LimitSource.CONTAINER_SPEC, null));

        assertThat(risk.getTimeToLimit()).isEqualTo("20m");
        assertThat(risk.getTimeToLimitLower()).isEqualTo("9m");
    }

    @Test
    void aHealthyPodHasNoTimeToLimit() {
        Assessment healthy = new Assessment(Verdict.SUSPECT, 400e6, 512e6, 1e3, 40, 0, Double.POSITIVE_INFINITY,
                Double.POSITIVE_INFINITY, 0.1, 0.99, 120, "threads grow");
        PodRisk risk = riskOf(new PodView(new PodKey("shop", "orders-0"), Verdict.SUSPECT, healthy, null, List.of(),
                null, null, LimitSource.CONTAINER_SPEC, null));

        assertThat(risk.getTimeToLimit()).isNull();
        assertThat(risk.getTimeToLimitLower()).isNull();
    }

    @Test
    void theStatusListsWorkloadsWithLeakingReplicasSoonestFirst() {
        Assessment soon = new Assessment(Verdict.LEAKING, 480e6, 512e6, 1e5, 40, 0, 600, 300, 0.9, 0.99, 120, "memory floor grows");
        Assessment later = new Assessment(Verdict.LEAKING, 400e6, 512e6, 1e5, 40, 0, 1200, 540, 0.9, 0.99, 120, "memory floor grows");
        Assessment rising = new Assessment(Verdict.SUSPECT, 300e6, 512e6, 1e3, 40, 0, Double.POSITIVE_INFINITY,
                Double.POSITIVE_INFINITY, 0.1, 0.99, 120, "threads grow");
        List<PodView> views = List.of(
                view("search-0", Verdict.LEAKING, later, "StatefulSet/search"),
                view("checkout-a", Verdict.LEAKING, later, "Deployment/checkout"),
                view("checkout-b", Verdict.LEAKING, soon, "Deployment/checkout"),
                view("checkout-c", Verdict.SUSPECT, rising, "Deployment/checkout"),
                view("catalog-a", Verdict.SUSPECT, rising, "Deployment/catalog"),
                view("bare", Verdict.LEAKING, soon, null));

        List<WorkloadRisk> workloads = statusOf(views).getLeakingWorkloads();

        assertThat(workloads).extracting(WorkloadRisk::getWorkload).containsExactly("Deployment/checkout", "StatefulSet/search");
        WorkloadRisk checkout = workloads.get(0);
        assertThat(checkout.getWatched()).isEqualTo(3);
        assertThat(checkout.getLeaking()).isEqualTo(2);
        assertThat(checkout.getSuspect()).isEqualTo(1);
        assertThat(checkout.getTimeToLimit()).isEqualTo("10m");
        assertThat(checkout.getTimeToLimitLower()).isEqualTo("5m");
    }

    /**
     * With shards, the replica writing the status knows other shards' pods only from the annotations their holders
     * write: they are counted and ranked with its own, and a pod nobody annotated yet counts as watched and healthy.
     */
    @Test
    void podsOfOtherShardsAreCountedAndRankedFromTheAnnotationsTheirHoldersWrite() {
        Assessment later = new Assessment(Verdict.LEAKING, 400e6, 512e6, 1e5, 40, 0, 1200, 540, 0.9, 0.99, 120, "memory floor grows");
        PodView elsewhereLeaking = StatusBuilder.judgedElsewhere(target("checkout-b"), Map.of(
                "leakguard.dev/verdict", "leaking", "leakguard.dev/seconds-to-limit", "300", "leakguard.dev/memory-growth",
                "+6.0 MiB/min"), 2);
        PodView elsewhereSuspect = StatusBuilder.judgedElsewhere(target("checkout-c"), Map.of("leakguard.dev/verdict", "suspect"), 1);
        PodView elsewhereQuiet = StatusBuilder.judgedElsewhere(target("checkout-d"), null, 1);

        LeakPolicyStatus status = statusOf(List.of(view("checkout-a", Verdict.LEAKING, later, "Deployment/checkout"),
                elsewhereLeaking, elsewhereSuspect, elsewhereQuiet));

        assertThat(status.getWatched()).isEqualTo(4);
        assertThat(status.getLeaking()).isEqualTo(2);
        assertThat(status.getSuspect()).isEqualTo(1);
        PodRisk first = status.getRiskiestPods().get(0);
        assertThat(first.getPod()).as("the other shard's pod is closer to its limit").isEqualTo("checkout-b");
        assertThat(first.getTimeToLimit()).isEqualTo("5m");
        assertThat(first.getMemory()).as("not known here").isNull();
        assertThat(first.getMessage()).isEqualTo("judged by the replica holding shard 2; memory growth +6.0 MiB/min");
        assertThat(status.getLeakingWorkloads()).singleElement().satisfies(w -> {
            assertThat(w.getWatched()).isEqualTo(4);
            assertThat(w.getLeaking()).isEqualTo(2);
            assertThat(w.getTimeToLimit()).isEqualTo("5m");
        });
    }

    private static ScrapeTarget target(String pod) {
        return new ScrapeTarget(new PodKey("shop", pod), pod + "-uid", "app", URI.create("http://10.0.0.1:9090/metrics"), null,
                512e6, LimitSource.CONTAINER_SPEC, 0, 0, ScrapeAccess.PLAIN_HTTP, "Deployment/checkout");
    }

    private static PodView view(String pod, Verdict verdict, Assessment assessment, String workload) {
        return new PodView(new PodKey("shop", pod), verdict, assessment, null, List.of(), null, null, LimitSource.CONTAINER_SPEC, workload);
    }

    private static PodRisk riskOf(PodView view) {
        return statusOf(List.of(view)).getRiskiestPods().get(0);
    }

    private static LeakPolicyStatus statusOf(List<PodView> views) {
        LeakPolicy policy = TestPolicies.fromSpec("shop", "orders", """
                selector: {matchLabels: {app: orders}}
                metrics: {port: metrics}
                """);
        policy.getMetadata().setGeneration(1L);
        return new StatusBuilder(ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), 1))
                .watching(policy, views, Map.of(), 0, 0);
    }
}
