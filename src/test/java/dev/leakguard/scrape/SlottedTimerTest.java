package dev.leakguard.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SlottedTimerTest {
    private static final long SLOT_MILLIS = 50;
    private static final long PERIOD_MILLIS = 10 * SLOT_MILLIS;

    /** A one-thread timer that counts the fixed-rate tasks given to it: one per slot, or one per task without slots. */
    private final CountingLoop loop = new CountingLoop();
    private final SlottedTimer timer = new SlottedTimer(loop, TimeUnit.MILLISECONDS.toNanos(SLOT_MILLIS));

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    @Test
    void tasksWhosePhasesFallInOneSlotRunFromOneTimerTaskEachPeriodAtMostASlotLate() throws Exception {
        List<Run> runs = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        // 20 tasks over 4 slots' worth of phases: 4 or 5 slots depending on where the slot grid falls (6 if the first
        // call, loading classes, takes long enough for the grid to move on under it).
        for (int i = 0; i < 20; i++) {
            int task = i;
            long delay = i * 4 * SLOT_MILLIS / 20;
            timer.scheduleAtFixedRate(() -> runs.add(new Run(task, System.nanoTime() - start, Thread.currentThread())), delay,
                    PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        }

        awaitRuns(runs, 40);

        assertThat(loop.fixedRateTasks.get()).isBetween(4, 6);
        for (int task = 0; task < 20; task++) {
            long asked = TimeUnit.MILLISECONDS.toNanos(task * 4 * SLOT_MILLIS / 20);
            int t = task;
            List<Long> times = runs.stream().filter(run -> run.task == t).map(Run::sinceStartNanos).toList();
            assertThat(times).hasSizeGreaterThanOrEqualTo(2);
            assertThat(times.get(0)).as("task %d's first run", task).isGreaterThanOrEqualTo(asked)
                    .isLessThan(asked + TimeUnit.MILLISECONDS.toNanos(SLOT_MILLIS + 30));
            assertThat(times.get(1) - times.get(0)).as("task %d's period", task)
                    .isBetween(TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS - 30), TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS + 30));
        }
        assertThat(runs).extracting(Run::thread).containsOnly(loop.thread);
    }

    @Test
    void aCancelledTaskStopsAndItsSlotEndsWithItsLastTask() throws Exception {
        AtomicInteger kept = new AtomicInteger();
        AtomicInteger cancelled = new AtomicInteger();
        ScheduledFuture<?> keptFuture = timer.scheduleAtFixedRate(kept::incrementAndGet, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> cancelledFuture = timer.scheduleAtFixedRate(cancelled::incrementAndGet, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        awaitCount(cancelled, 1);

        assertThat(cancelledFuture.cancel(false)).isTrue();
        int cancelledRuns = cancelled.get();
        awaitCount(kept, cancelledRuns + 2);

        assertThat(cancelled.get()).isEqualTo(cancelledRuns);
        assertThat(cancelledFuture.isCancelled()).isTrue();
        assertThat(keptFuture.isDone()).isFalse();
        assertThat(keptFuture.getDelay(TimeUnit.MILLISECONDS)).isBetween(0L, PERIOD_MILLIS);

        keptFuture.cancel(false);
        Thread.sleep(2 * PERIOD_MILLIS);
        assertThat(loop.getQueue()).as("the slots' own timer tasks, once their last task is cancelled").isEmpty();
    }

    @Test
    void aTaskThatThrowsStopsWithItsErrorWhileTheOthersInItsSlotGoOn() throws Exception {
        AtomicInteger others = new AtomicInteger();
        ScheduledFuture<?> failing = timer.scheduleAtFixedRate(() -> {
            throw new IllegalStateException("boom");
        }, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        timer.scheduleAtFixedRate(others::incrementAndGet, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);

        awaitCount(others, 3);

        assertThat(failing.isDone()).isTrue();
        assertThatThrownBy(failing::get).isInstanceOf(ExecutionException.class).hasRootCauseMessage("boom");
    }

    /** Netty's loop refuses a negative delay: a slot first met after its boundary passed (a busy loop) must still start. */
    @Test
    void tasksAddedWhileTheLoopIsBusyPastTheirSlotStillRun() throws Exception {
        try (HttpFetcher fetcher = new HttpFetcher(1, Duration.ofMillis(SLOT_MILLIS))) {
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch busy = new CountDownLatch(1);
            fetcher.timer().execute(() -> {
                busy.countDown();
                sleepUninterruptibly(3 * SLOT_MILLIS);
            });
            busy.await();
            for (int i = 0; i < 10; i++) {
                fetcher.timer().scheduleAtFixedRate(runs::incrementAndGet, i, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
            }

            awaitCount(runs, 20);
        }
    }

    @Test
    void periodsThatAreNotWholeSlotsOrTooShortAreScheduledOnTheirOwn() {
        timer.scheduleAtFixedRate(() -> { }, 0, PERIOD_MILLIS + 1, TimeUnit.MILLISECONDS);
        timer.scheduleAtFixedRate(() -> { }, 0, PERIOD_MILLIS + 1, TimeUnit.MILLISECONDS);
        timer.scheduleAtFixedRate(() -> { }, 0, 2 * SLOT_MILLIS, TimeUnit.MILLISECONDS);
        timer.scheduleAtFixedRate(() -> { }, 0, 2 * SLOT_MILLIS, TimeUnit.MILLISECONDS);

        assertThat(loop.fixedRateTasks.get()).isEqualTo(4);
    }

    @Test
    void theLoopIsNotTheTimersToShutDown() {
        assertThatThrownBy(timer::shutdown).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(timer::shutdownNow).isInstanceOf(UnsupportedOperationException.class);
        assertThat(loop.isShutdown()).isFalse();
    }

    private static void sleepUninterruptibly(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    private record Run(int task, long sinceStartNanos, Thread thread) {
    }

    private static void awaitRuns(List<Run> runs, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (runs.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(runs).hasSizeGreaterThanOrEqualTo(count);
    }

    private static void awaitCount(AtomicInteger counter, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counter.get() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(counter.get()).isGreaterThanOrEqualTo(count);
    }

    private static final class CountingLoop extends ScheduledThreadPoolExecutor {
        final AtomicInteger fixedRateTasks = new AtomicInteger();
        volatile Thread thread;

        CountingLoop() {
            super(1);
            setRemoveOnCancelPolicy(true);
            setThreadFactory(runnable -> {
                thread = new Thread(runnable, "slotted-timer-test");
                thread.setDaemon(true);
                return thread;
            });
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            fixedRateTasks.incrementAndGet();
            return super.scheduleAtFixedRate(command, initialDelay, period, unit);
        }
    }
}
