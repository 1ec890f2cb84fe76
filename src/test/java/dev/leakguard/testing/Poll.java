package dev.leakguard.testing;

import java.time.Duration;
import java.util.function.Supplier;

/** Waits for an asynchronous outcome without fixed sleeps; fails with the last observed value. */
public final class Poll {
    private Poll() {
    }

    public static <T> T until(Duration timeout, Supplier<T> probe, java.util.function.Predicate<T> done, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = probe.get();
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                last = null;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what);
            }
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last seen: " + last);
    }

    public static void until(Duration timeout, java.util.function.BooleanSupplier condition, String what) {
        until(timeout, condition::getAsBoolean, Boolean::booleanValue, what);
    }
}
