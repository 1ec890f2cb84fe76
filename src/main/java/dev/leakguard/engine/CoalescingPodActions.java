package dev.leakguard.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PodActions} on a few threads, coalescing per pod and kind: at most one action per key
 * waits, a newer one replaces it, and a key that is running is queued again only once it finishes.
 * There is no capacity to overflow: what waits is bounded by the number of watched pods times the
 * kinds, however fast actions arrive and however slow the API server answers. (A bounded queue that
 * discards the oldest task, as before, dropped restart requests under a flood of annotation writes
 * and left their pods' flags set forever.)
 */
public final class CoalescingPodActions implements PodActions, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoalescingPodActions.class);

    private record Key(PodState pod, Kind kind) {
    }

    private final Object lock = new Object();
    private final Map<Key, Runnable> waiting = new HashMap<>();
    private final ArrayDeque<Key> ready = new ArrayDeque<>();
    private final Set<Key> running = new HashSet<>();
    private final List<Thread> workers = new ArrayList<>();
    private boolean closed;

    public CoalescingPodActions(int threads, String name) {
        for (int i = 0; i < threads; i++) {
            Thread worker = new Thread(this::work, name + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    @Override
    public void submit(PodState pod, Kind kind, Runnable action) {
        Key key = new Key(pod, kind);
        synchronized (lock) {
            if (closed) {
                log.debug("shutting down: {} of {} not started", kind, pod.target().pod());
                return;
            }
            if (waiting.put(key, action) == null && !running.contains(key)) {
                ready.add(key);
                lock.notify();
            }
        }
    }

    /** Actions submitted and not finished: running, or waiting (at most the number of pods times the kinds). */
    public int unfinished() {
        synchronized (lock) {
            return waiting.size() + running.size();
        }
    }

    private void work() {
        while (true) {
            Key key;
            Runnable action;
            synchronized (lock) {
                while (ready.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (ready.isEmpty()) {
                    return;
                }
                key = ready.poll();
                action = waiting.remove(key);
                running.add(key);
            }
            try {
                action.run();
            } catch (RuntimeException e) {
                log.warn("{} of {} failed", key.kind(), key.pod().target().pod(), e);
            } finally {
                synchronized (lock) {
                    running.remove(key);
                    if (waiting.containsKey(key)) {
                        ready.add(key);
                        lock.notify();
                    }
                }
            }
        }
    }

    /**
     * Takes no new actions, lets those already decided finish (annotations, evidence) for up to five
     * seconds rather than cut them off mid-request, then interrupts what is left.
     */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Thread worker : workers) {
            try {
                worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        workers.forEach(Thread::interrupt);
    }
}
