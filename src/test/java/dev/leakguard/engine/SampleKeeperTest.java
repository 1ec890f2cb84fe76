package dev.leakguard.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.policy.ActionType;
import dev.leakguard.trend.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A leader change on the manual clock: the old leader saved its pods' samples, the new one replays
 * them into fresh detectors and must decide as if nothing had stopped.
 */
class SampleKeeperTest {
    private final TestingPodActions actions = new TestingPodActions();
    private final EngineFixture engine = new EngineFixture(actions);
    private final ResolvedPolicy policy = EngineFixture.policy(ActionType.Evict);
    private final MemoryJournal journal = new MemoryJournal();
    private final SampleKeeper keeper = new SampleKeeper(journal);

    @Test
    void aRestoredPodReachesTheVerdictsOfOneThatNeverStoppedAtTheSameReadings() {
        EngineFixture.LeakingPod steady = engine.pod(policy, "checkout-0");
        // Warm-up (1 m) and window (5 m) are over and the leak is suspected: the old leader saves and dies.
        engine.readUntil(Verdict.SUSPECT, actions::runAll, steady);
        keeper.save(policy.ref(), "", List.of(steady.state));
        // The Lease runs out, the new leader starts: two scrapes are missed.
        engine.clock.advance(EngineFixture.INTERVAL.multipliedBy(2));
        steady.read();

        PodState fresh = new PodState(steady.state.target(), Map.of(), policy.detection().withMemoryLimitBytes(EngineFixture.LIMIT));
        int replayed = SampleKeeper.replay(fresh, keeper.restore(policy.ref(), "").get(steady.state.target().pod()));
        EngineFixture.LeakingPod restored = engine.new LeakingPod(policy, fresh, steady.state.target().containerStartMillis());
        restored.read();

        assertThat(journal.podsSaved).containsExactly(1);
        assertThat(replayed).as("one window of samples at most").isBetween(2, 21);
        assertThat(restored.verdict()).as("first live reading after the takeover").isEqualTo(steady.verdict()).isEqualTo(Verdict.SUSPECT);
        int readings = 0;
        while (steady.verdict() != Verdict.LEAKING) {
            engine.clock.advance(EngineFixture.INTERVAL);
            steady.read();
            restored.read();
            readings++;
            assertThat(restored.verdict()).as("after %d readings", readings).isEqualTo(steady.verdict());
        }
        actions.runAll();
        assertThat(engine.restarter.requested()).as("the restored pod is restarted (both loops watch one pod)").contains("checkout-0");
    }

    @Test
    void withoutSavedSamplesTheNewLeaderStartsItsWarmUpAgain() {
        EngineFixture.LeakingPod steady = engine.pod(policy, "checkout-0");
        engine.readUntil(Verdict.SUSPECT, actions::runAll, steady);

        PodState fresh = new PodState(steady.state.target(), Map.of(), policy.detection().withMemoryLimitBytes(EngineFixture.LIMIT));
        assertThat(SampleKeeper.replay(fresh, keeper.restore(policy.ref(), "").get(steady.state.target().pod()))).isZero();
        engine.new LeakingPod(policy, fresh, steady.state.target().containerStartMillis()).read();

        assertThat(fresh.effectiveVerdict()).isEqualTo(Verdict.INSUFFICIENT_DATA);
    }

    @Test
    void samplesOfAnotherContainerInstanceOrPodAreNotReplayed() {
        EngineFixture.LeakingPod steady = engine.pod(policy, "checkout-0");
        engine.readUntil(Verdict.SUSPECT, actions::runAll, steady);
        keeper.save(policy.ref(), "", List.of(steady.state));
        PodSamples saved = keeper.restore(policy.ref(), "").get(steady.state.target().pod());
        ScrapeTarget before = steady.state.target();
        ScrapeTarget restarted = new ScrapeTarget(before.pod(), before.podUid(), before.container(), before.metricsUri(), before.profileUri(),
                before.memoryLimitBytes(), before.limitSource(), engine.clock.millis(), before.restartCount() + 1);
        ScrapeTarget recreated = new ScrapeTarget(before.pod(), "another-uid", before.container(), before.metricsUri(), before.profileUri(),
                before.memoryLimitBytes(), before.limitSource(), before.containerStartMillis(), before.restartCount());

        assertThat(SampleKeeper.replay(new PodState(restarted, Map.of(), policy.detection()), saved)).isZero();
        assertThat(SampleKeeper.replay(new PodState(recreated, Map.of(), policy.detection()), saved)).isZero();
    }

    @Test
    void aCorruptOrUnreadableJournalMeansAFreshStartNotAFailure() {
        journal.saved.put(policy.ref(), "H4sIAAAAAAAA/8tIzcnJBwCGphA2BQAAAA==");
        assertThat(keeper.restore(policy.ref(), "")).isEmpty();

        SampleJournal broken = new SampleJournal() {
            @Override
            public String load(PolicyRef ref, String part) {
                throw new IllegalStateException("connection refused");
            }

            @Override
            public void save(PolicyRef ref, String part, String archive, int pods) {
                throw new IllegalStateException("connection refused");
            }
        };
        EngineFixture.LeakingPod steady = engine.pod(policy, "checkout-0");
        steady.read();
        assertThat(new SampleKeeper(broken).restore(policy.ref(), "")).isEmpty();
        new SampleKeeper(broken).save(policy.ref(), "", List.of(steady.state));
    }

    @Test
    void theSavedWindowIsBoundedToOneSampleAnIntervalOfOneWindow() {
        EngineFixture.LeakingPod pod = engine.pod(policy, "checkout-0");
        for (int i = 0; i < 200; i++) {
            engine.clock.advance(Duration.ofSeconds(5));
            pod.read();
        }
        List<dev.leakguard.trend.Sample> kept = pod.state.recentSamples().samples();

        // 5 m window at 15 s: 21 slots, though the pod was read every 5 s for 16 minutes.
        assertThat(kept).hasSize(21);
        for (int i = 1; i < kept.size(); i++) {
            assertThat(kept.get(i).timestampMillis() - kept.get(i - 1).timestampMillis()).isEqualTo(15_000);
        }
        assertThat(kept.get(kept.size() - 1).timestampMillis()).isEqualTo(engine.clock.millis());
    }

    /** The journal as a map: what the ConfigMap adapter does on a real API server is tested in realcluster. */
    private static final class MemoryJournal implements SampleJournal {
        final Map<PolicyRef, String> saved = new HashMap<>();
        final List<Integer> podsSaved = new ArrayList<>();

        @Override
        public String load(PolicyRef policy, String part) {
            return saved.get(policy);
        }

        @Override
        public void save(PolicyRef policy, String part, String archive, int pods) {
            saved.put(policy, archive);
            podsSaved.add(pods);
        }
    }
}
