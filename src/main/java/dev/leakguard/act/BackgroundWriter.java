package dev.leakguard.act;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon thread working through a bounded queue, in order: for writes to the API server that
 * must not hold up whoever asked for them (a scrape loop, the pod informer).
 */
final class BackgroundWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundWriter.class);

    private final String name;
    private final ExecutorService thread;

    BackgroundWriter(String name, int capacity) {
        this.name = name;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(capacity), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** @return false when the queue is full (or closed) and the write was not taken */
    boolean offer(Runnable write) {
        try {
            thread.execute(write);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Waits until what was queued before has been written or has failed; for shutdown and tests. */
    void flush(long timeoutMillis) {
        try {
            thread.submit(() -> { }).get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.debug("{} flush did not complete: {}", name, e.toString());
        }
    }

    @Override
    public void close() {
        flush(5_000);
        thread.shutdownNow();
    }
}
