package dev.leakguard.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.policy.ActionType;
import dev.leakguard.trend.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The action executor under a flood while the API server is slow. The executor it replaces was a
 * bounded queue that discarded the oldest task: past 10,000 waiting tasks a restart request could be
 * dropped, its {@code finally} never ran and the pod was never restarted again.
 */
class CoalescingPodActionsTest {
    private final CoalescingPodActions actions = new CoalescingPodActions(2, "test-actions");

    @AfterEach
    void stop() {
        actions.close();
    }

    @Test
    void latestWinsPerPodAndKindAndNothingElseIsDropped() throws InterruptedException {
        EngineFixture engine = new EngineFixture(actions);
        CountDownLatch apiServer = new CountDownLatch(1);
        blockBothWorkers(engine, apiServer);
        int pods = 100;
        int writesPerPod = 1_000;
        Map<Integer, Integer> lastWrite = new ConcurrentHashMap<>();
        AtomicInteger writes = new AtomicInteger();
        AtomicInteger restarts = new AtomicInteger();
        List<PodState> states = new ArrayList<>();
        for (int p = 0; p < pods; p++) {
            PodState state = engine.pod(EngineFixture.policy(ActionType.Evict), "pod-" + p).state;
            states.add(state);
            actions.submit(state, PodActions.Kind.RESTART, restarts::incrementAndGet);
        }
        // 100,000 annotation writes queued behind the restarts: ten times what the old queue held.
        for (int w = 0; w < writesPerPod; w++) {
            for (int p = 0; p < pods; p++) {
                int pod = p;
                int value = w;
                actions.submit(states.get(p), PodActions.Kind.ANNOTATE, () -> {
                    writes.incrementAndGet();
                    lastWrite.put(pod, value);
                });
            }
        }
        assertThat(actions.unfinished()).as("bounded by pods x kinds (and the two running), not by what arrived").isEqualTo(2 * pods + 2);

        apiServer.countDown();
        awaitIdle();

        assertThat(restarts.get()).as("every restart request ran").isEqualTo(pods);
        assertThat(writes.get()).as("one write per pod: the latest").isEqualTo(pods);
        assertThat(lastWrite).hasSize(pods).allSatisfy((pod, value) -> assertThat(value).isEqualTo(writesPerPod - 1));
    }

    @Test
    void actionsOfOnePodAndKindNeverOverlap() throws InterruptedException {
        EngineFixture engine = new EngineFixture(actions);
        PodState state = engine.pod(EngineFixture.policy(ActionType.Evict), "pod").state;
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 200; i++) {
            actions.submit(state, PodActions.Kind.ANNOTATE, () -> {
                if (running.incrementAndGet() > 1) {
                    overlaps.incrementAndGet();
                }
                Thread.onSpinWait();
                ran.incrementAndGet();
                running.decrementAndGet();
            });
        }
        awaitIdle();

        assertThat(overlaps.get()).isZero();
        assertThat(ran.get()).isBetween(1, 200);
    }

    /**
     * The operator's case: fifty pods leak at once while the restart door's API server is slow, and
     * every scrape keeps adding annotation work. Each pod still gets its restart, once; and since the
     * pods' flags were cleared, each is asked again once its retry time has come.
     */
    @Test
    void everyLeakingPodGetsItsRestartWhileTheApiServerIsSlow() throws InterruptedException {
        EngineFixture engine = new EngineFixture(actions);
        engine.restarter.holdUntilReleased();
        List<EngineFixture.LeakingPod> pods = new ArrayList<>();
        for (int p = 0; p < 50; p++) {
            pods.add(engine.pod(EngineFixture.policy(ActionType.Evict), "checkout-" + p));
        }
        EngineFixture.LeakingPod[] all = pods.toArray(EngineFixture.LeakingPod[]::new);
        engine.readUntil(Verdict.LEAKING, () -> { }, all);
        for (int i = 0; i < 3; i++) {
            engine.clock.advance(EngineFixture.INTERVAL);
            pods.forEach(EngineFixture.LeakingPod::read);
        }
        assertThat(pods).allSatisfy(p -> assertThat(p.verdict()).isEqualTo(Verdict.LEAKING));

        engine.restarter.release();
        awaitIdle();
        assertThat(engine.restarter.requested()).hasSize(pods.size()).doesNotHaveDuplicates();

        engine.clock.advance(EngineFixture.INTERVAL.multipliedBy(PodPipeline.RESTART_RETRY_INTERVALS));
        pods.forEach(EngineFixture.LeakingPod::read);
        awaitIdle();
        assertThat(engine.restarter.requested()).as("asked again after the retry time").hasSize(2 * pods.size());
    }

    /** Occupies both workers until {@code release} opens, as two requests to a hanging API server would. */
    private void blockBothWorkers(EngineFixture engine, CountDownLatch release) throws InterruptedException {
        CountDownLatch started = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) {
            PodState blocker = engine.pod(EngineFixture.policy(ActionType.Evict), "blocker-" + i).state;
            actions.submit(blocker, PodActions.Kind.RESTART, () -> {
                started.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    }

    private void awaitIdle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (actions.unfinished() > 0) {
            assertThat(System.nanoTime()).as("actions finished within 10 s").isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
