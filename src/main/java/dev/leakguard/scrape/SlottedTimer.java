package dev.leakguard.scrape;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A timer on one event loop whose fixed-rate tasks (the scrape loops' ticks) are grouped into slots: every task of
 * the same period whose phase falls in the same slot of {@code slotNanos} is run by one timer task of the loop,
 * one after the other. A scrape a tick starts is then sent together with the other scrapes of its slot: one flush
 * wakes the peers' side, one {@code epoll_wait} returns many answers, instead of one wake-up of the loop per request
 * and per response when every pod ticks on its own. The slots stay spread over the interval (a task is delayed by less
 * than one slot to its slot's boundary), so neither the targets nor the loop see bursts of more than a slot's share.
 * A task reads the time when it runs, so a scrape's sample time is still when it was sent.
 *
 * <p>A period that is not a whole number of slots, or shorter than {@link #MIN_SLOTS_PER_PERIOD} slots, is scheduled
 * on its own, as are one-shot and fixed-delay tasks. Everything about the slots happens on the loop; a task is added
 * to its slot there, and a cancelled one leaves at its slot's next firing. The loop is not this timer's to shut down.
 */
final class SlottedTimer extends AbstractExecutorService implements ScheduledExecutorService {
    private static final Logger log = LoggerFactory.getLogger(SlottedTimer.class);
    /** Fewer slots per period than this would bunch a period's tasks into too few bursts. */
    static final int MIN_SLOTS_PER_PERIOD = 10;

    private final ScheduledExecutorService loop;
    private final long slotNanos;
    /** Slot boundaries are counted from here, so that tasks scheduled at different times share slots. */
    private final long epochNanos = System.nanoTime();
    /** The running slots by period and boundary phase; loop only. */
    private final Map<SlotKey, Slot> slots = new HashMap<>();

    SlottedTimer(ScheduledExecutorService loop, long slotNanos) {
        if (slotNanos <= 0) {
            throw new IllegalArgumentException("slot must be positive, was " + slotNanos + " ns");
        }
        this.loop = loop;
        this.slotNanos = slotNanos;
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit) {
        long periodNanos = unit.toNanos(period);
        if (periodNanos % slotNanos != 0 || periodNanos < MIN_SLOTS_PER_PERIOD * slotNanos) {
            return loop.scheduleAtFixedRate(task, initialDelay, period, unit);
        }
        long sinceEpoch = System.nanoTime() + Math.max(0, unit.toNanos(initialDelay)) - epochNanos;
        long boundary = ceilDiv(sinceEpoch, slotNanos) * slotNanos; // the first slot boundary at or after the asked time
        Member member = new Member(task, epochNanos + boundary, periodNanos);
        SlotKey key = new SlotKey(periodNanos, Math.floorMod(boundary, periodNanos));
        loop.execute(() -> join(key, member));
        return member;
    }

    private void join(SlotKey key, Member member) {
        if (member.isDone()) {
            return;
        }
        Slot slot = slots.get(key);
        if (slot == null) {
            slot = new Slot(key);
            slots.put(key, slot);
            slot.boundaryNanos = member.firstRunNanos;
            // Past already when the loop was busy for longer than the delay: at once, then (Netty's fixed rate) on the grid.
            long delay = Math.max(0, member.firstRunNanos - System.nanoTime());
            slot.timer = loop.scheduleAtFixedRate(slot::fire, delay, key.periodNanos(), TimeUnit.NANOSECONDS);
        }
        if (member.firstRunNanos < slot.boundaryNanos) {
            member.run(); // the slot fired for the member's boundary before the member got here: not a period late
        }
        if (!member.isDone()) {
            slot.members.add(member);
        }
    }

    /** Math.ceilDiv, which Java 17 lacks. */
    private static long ceilDiv(long dividend, long divisor) {
        return -Math.floorDiv(-dividend, divisor);
    }

    /** Tasks of one period whose runs fall on the same slot boundary. */
    private record SlotKey(long periodNanos, long phaseNanos) {
    }

    private final class Slot {
        final SlotKey key;
        final List<Member> members = new ArrayList<>();
        /** The boundary this slot fires for next. */
        long boundaryNanos;
        ScheduledFuture<?> timer;

        Slot(SlotKey key) {
            this.key = key;
        }

        void fire() {
            long boundary = boundaryNanos;
            boundaryNanos += key.periodNanos();
            // Removing the finished while running the others keeps the list compact without a second pass.
            int kept = 0;
            for (int i = 0; i < members.size(); i++) {
                Member member = members.get(i);
                if (!member.isDone() && member.firstRunNanos <= boundary) {
                    member.run();
                }
                if (!member.isDone()) {
                    members.set(kept++, member);
                }
            }
            members.subList(kept, members.size()).clear();
            if (members.isEmpty()) {
                timer.cancel(false);
                slots.remove(key);
            }
        }
    }

    /** One periodic task in a slot, and its future: cancelled by the caller, or ended by the task throwing. */
    private final class Member implements ScheduledFuture<Object> {
        final Runnable task;
        /** The first boundary it runs at; the slot it joins may already be firing for earlier ones. */
        final long firstRunNanos;
        final long periodNanos;
        /** Never completes normally: a periodic task only ends by being cancelled or by throwing. */
        final CompletableFuture<Object> end = new CompletableFuture<>();

        Member(Runnable task, long firstRunNanos, long periodNanos) {
            this.task = task;
            this.firstRunNanos = firstRunNanos;
            this.periodNanos = periodNanos;
        }

        void run() {
            try {
                task.run();
            } catch (Throwable e) {
                // As for any fixed-rate task: a task that throws runs no more, and its future says why.
                log.error("a periodic task failed and stops", e);
                end.completeExceptionally(e);
            }
        }

        @Override
        public long getDelay(TimeUnit unit) {
            long now = System.nanoTime();
            long next = now <= firstRunNanos ? firstRunNanos
                    : firstRunNanos + ceilDiv(now - firstRunNanos, periodNanos) * periodNanos;
            return unit.convert(next - now, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return end.cancel(false);
        }

        @Override
        public boolean isCancelled() {
            return end.isCancelled();
        }

        @Override
        public boolean isDone() {
            return end.isDone();
        }

        @Override
        public Object get() throws InterruptedException, ExecutionException {
            return end.get();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            return end.get(timeout, unit);
        }
    }

    // ---- everything else runs on the loop as it is ---------------------------------------------------

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return loop.schedule(command, delay, unit);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return loop.schedule(callable, delay, unit);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        return loop.scheduleWithFixedDelay(command, initialDelay, delay, unit);
    }

    @Override
    public void execute(Runnable command) {
        loop.execute(command);
    }

    @Override
    public void shutdown() {
        throw new UnsupportedOperationException("the fetcher's event loop stops when the fetcher closes");
    }

    @Override
    public List<Runnable> shutdownNow() {
        throw new UnsupportedOperationException("the fetcher's event loop stops when the fetcher closes");
    }

    @Override
    public boolean isShutdown() {
        return loop.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return loop.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return loop.awaitTermination(timeout, unit);
    }
}
