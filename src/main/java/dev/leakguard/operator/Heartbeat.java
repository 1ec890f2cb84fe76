package dev.leakguard.operator;

import dev.leakguard.time.ScaledClock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The liveness signal: a beat that a scheduler thread must keep running. It says "this process is
 * alive and not wedged", and nothing about the API server — an API-server outage (a control-plane
 * upgrade takes about 30 s) leaves the beat untouched, so the kubelet restarts no replica for it;
 * a scheduler thread stuck in a call that never returns stops the beat, and the restart is right.
 */
final class Heartbeat {
    private final ScaledClock clock;
    private final long staleAfterRealMillis;
    private volatile long lastBeatMillis;
    private ScheduledFuture<?> beats;

    private Heartbeat(ScaledClock clock, Duration staleAfter) {
        this.clock = clock;
        this.staleAfterRealMillis = staleAfter.toMillis();
        this.lastBeatMillis = clock.millis();
    }

    /**
     * Beats every {@code every} (real time) on {@code thread}; the beat is stale once {@code staleAfter}
     * (real time) passes without one.
     */
    static Heartbeat on(ScheduledExecutorService thread, ScaledClock clock, Duration every, Duration staleAfter) {
        Heartbeat heartbeat = new Heartbeat(clock, staleAfter);
        heartbeat.beats = thread.scheduleAtFixedRate(heartbeat::beat, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return heartbeat;
    }

    /** Stops beating, for a shutdown that leaves the thread running. */
    void stop() {
        beats.cancel(false);
    }

    private void beat() {
        lastBeatMillis = clock.millis();
    }

    /** Whether the last beat is recent enough. */
    boolean alive() {
        long sinceSimulated = clock.millis() - lastBeatMillis;
        return sinceSimulated <= 0 || clock.realDelayMillis(sinceSimulated) <= staleAfterRealMillis;
    }
}
