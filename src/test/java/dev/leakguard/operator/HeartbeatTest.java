package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.testing.Poll;
import dev.leakguard.time.ScaledClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

class HeartbeatTest {
    @Test
    void livenessFailsWhileTheSchedulerThreadIsWedgedAndReturnsWhenItRunsAgain() throws Exception {
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
        try {
            // A compressed clock: staleness is judged in real time whatever the operator's clock speed.
            Heartbeat heartbeat = Heartbeat.on(thread, ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), 60),
                    Duration.ofMillis(50), Duration.ofMillis(500));
            Thread.sleep(700);
            assertThat(heartbeat.alive()).as("beating").isTrue();

            CountDownLatch release = new CountDownLatch(1);
            thread.execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Poll.until(Duration.ofSeconds(5), heartbeat::alive, alive -> !alive, "liveness to fail while the thread is wedged");

            release.countDown();
            Poll.until(Duration.ofSeconds(5), heartbeat::alive, alive -> alive, "liveness to return once the thread runs again");
        } finally {
            thread.shutdownNow();
        }
    }
}
