package dev.leakguard.bench.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's warm-ups: a warm-up with a 2–20 minute time constant, ending 4–20 % under its
 * limit, is an approach to a plateau, not a leak. Until round 6 two of them on the tuning seed were
 * acted on: one because noise inflated the time constant taken from the ratio of the half slopes,
 * one because its first minutes read as a level shift and its tail was then projected linearly.
 */
class WarmupPlateauTest {

    @Test
    void noWarmUpOfTheTuningSeedIsActedOn() {
        assertThat(warmUpsActedOn(7)).isEmpty();
    }

    /**
     * Round 8: development seed 3's {@code warmup-plateau-10} levels off with a 5-minute time
     * constant, yet was acted on with "peaks still reach the limit in ~0s": the recent half's
     * flatter line, extended back over the window's steep start, put a peak there 24 % of the limit
     * above it (15 % measured where the line was fitted), and floor + that excursion exceeded the limit.
     */
    @Test
    void aWarmUpIsNotActedOnForPeaksMeasuredAgainstTheRecentLineBeforeTheRecentHalf() {
        assertThat(warmUpsActedOn(3)).doesNotContain("warmup-plateau-10");
    }

    /**
     * Round 8: development seed 1's {@code warmup-plateau-0} was acted on with "slowing, but peaks
     * still reach the limit in ~2m": the floor now was the recent line extended linearly 13 minutes
     * past its centre, and the slowing growth still to come, s(now)·τ, was added on top of it.
     */
    @Test
    void aWarmUpsFloorNowFollowsThePlateauModelNotTheRecentLine() {
        assertThat(warmUpsActedOn(1)).doesNotContain("warmup-plateau-0");
    }

    /**
     * Round 8: development seed 20261207's {@code warmup-plateau-1} and {@code -9} rise as straight
     * as a leak over the first window after the 5-minute warm-up (their time constants are longer)
     * and were acted on 25–28 minutes in; the doubled confirmation of a young window waits until
     * their slowing down shows.
     */
    @Test
    void aSlowWarmUpIsNotActedOnInTheFirstWindow() {
        assertThat(warmUpsActedOn(20261207)).doesNotContain("warmup-plateau-1", "warmup-plateau-9");
    }

    private static List<String> warmUpsActedOn(long seed) {
        return BenchmarkReplays.actedOn(seed, "warmup-plateau");
    }
}
