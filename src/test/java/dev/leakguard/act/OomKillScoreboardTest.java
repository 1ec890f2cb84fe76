package dev.leakguard.act;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.EventReason;
import dev.leakguard.kube.Pods;
import dev.leakguard.policy.ActionType;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OomKillScoreboardTest {
    private final RestartCluster cluster = new RestartCluster();
    private final TestingMetrics metrics = new TestingMetrics();
    private LeakPolicy policy;
    private Pod healthy;

    @BeforeEach
    void watchOnePod() {
        cluster.deployment("web", 1, "RollingUpdate", "1");
        policy = cluster.policy("web-leaks", ActionType.Evict, false, 1, "10m", 10);
        healthy = cluster.pod("web-0");
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void eachOomKillIsOneMissEvenAcrossInformerResyncsAndLeaderChanges() {
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);
        Pod killedOnce = RestartCluster.oomKilled(healthy, 1, null);

        restarter.onPodChanged(policy, healthy, killedOnce);
        restarter.onPodChanged(policy, killedOnce, killedOnce);
        assertThat(metrics.oomKillsMissed()).isEqualTo(1);

        RestartCluster.Door newLeader = cluster.door(metrics, Duration.ofMinutes(1), 100);
        newLeader.onPodChanged(policy, null, killedOnce);
        assertThat(metrics.oomKillsMissed()).as("the informer's initial list does not count it again").isEqualTo(1);

        newLeader.onPodChanged(policy, killedOnce, RestartCluster.oomKilled(healthy, 2, null));
        assertThat(metrics.oomKillsMissed()).isEqualTo(2);
        assertThat(newLeader.score(cluster.reread(policy)).oomKillsMissed()).isEqualTo(2);
        assertThat(cluster.events(EventReason.OOMKillMissed)).hasSize(2).allSatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getInvolvedObject().getName()).isEqualTo("web-0");
            assertThat(e.getMessage()).contains("Container app was OOM-killed", "a miss");
        });
    }

    @Test
    void anOomKilledNativeSidecarIsAMissButARegularInitContainerIsNotWatched() {
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);
        Pod withInits = new PodBuilder(healthy).editSpec()
                .addNewInitContainer().withName("proxy").withImage("mesh/proxy:1").withRestartPolicy("Always").endInitContainer()
                .addNewInitContainer().withName("migrate").withImage("example/migrate:1").endInitContainer()
                .endSpec().editStatus()
                .addNewInitContainerStatus().withName("proxy").withRestartCount(0).endInitContainerStatus()
                .addNewInitContainerStatus().withName("migrate").withRestartCount(0).endInitContainerStatus()
                .endStatus().build();
        Pod bothKilled = new PodBuilder(withInits).editStatus()
                .editMatchingInitContainerStatus(s -> s.getName().equals("proxy")).withRestartCount(1)
                .withLastState(new ContainerStateBuilder().withNewTerminated().withReason("OOMKilled").withExitCode(137).endTerminated().build())
                .endInitContainerStatus()
                .editMatchingInitContainerStatus(s -> s.getName().equals("migrate")).withRestartCount(1)
                .withLastState(new ContainerStateBuilder().withNewTerminated().withReason("OOMKilled").withExitCode(137).endTerminated().build())
                .endInitContainerStatus().endStatus().build();

        restarter.onPodChanged(policy, withInits, bothKilled);

        assertThat(metrics.oomKillsMissed()).isEqualTo(1);
        assertThat(cluster.events(EventReason.OOMKillMissed)).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("Container proxy was OOM-killed"));
    }

    @Test
    void theKillSeenWhileTerminatedAndAgainAfterTheRestartCountsOnce() {
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);
        Pod terminatedNow = new PodBuilder(healthy).editStatus().editFirstContainerStatus()
                .withState(new ContainerStateBuilder().withNewTerminated().withReason("OOMKilled").withExitCode(137)
                        .endTerminated().build())
                .endContainerStatus().endStatus().build();

        restarter.onPodChanged(policy, healthy, terminatedNow);
        restarter.onPodChanged(policy, terminatedNow, RestartCluster.oomKilled(healthy, 1, null));

        assertThat(metrics.oomKillsMissed()).isEqualTo(1);
    }

    @Test
    void killsFromBeforeThePolicyExistedAndOtherCrashesAreNotMisses() {
        RestartCluster.Door restarter = cluster.door(metrics, Duration.ZERO, 100);

        restarter.onPodChanged(policy, null, RestartCluster.oomKilled(healthy, 1, "2020-01-01T00:00:00Z"));
        restarter.onPodChanged(policy, healthy, withCrash(healthy));

        assertThat(metrics.oomKillsMissed()).isZero();
        assertThat(cluster.events(EventReason.OOMKillMissed)).isEmpty();
        assertThat(Pods.annotation(cluster.reread(policy), AnnotationLedgerStore.LEDGER_ANNOTATION)).isNull();
    }

    private static Pod withCrash(Pod pod) {
        return new PodBuilder(pod).editStatus().editFirstContainerStatus()
                .withRestartCount(1)
                .withLastState(new ContainerStateBuilder().withNewTerminated().withReason("Error").withExitCode(2)
                        .endTerminated().build())
                .endContainerStatus().endStatus().build();
    }
}
