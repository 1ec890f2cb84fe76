package dev.leakguard.bench.detection;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The reported time to limit at the first action, against the time really left then. */
class TimeToLimitTest {

    /**
     * Round 9: development seed 3's {@code thread-leak-15} was acted on with "peaks reach the limit
     * in ~18m" when 65 minutes were left (0.28): the point estimate took the level and the peaks'
     * excursion from the steepest line (since an onset) and the slope from the whole window's. On
     * the whole window's line throughout, with the upper quartile of the excursions, it is near the truth.
     */
    @Test
    void theReportedTimeToLimitOfAThreadLeakIsNearTheTimeLeft() {
        DetectionBenchmark.Outcome outcome = BenchmarkReplays.outcome(3, "thread-leak-15");
        assertThat(outcome.missed()).isFalse();
        assertThat(outcome.ratio()).isBetween(0.6, 1.5);
    }
}
