package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.UUID;
import java.util.function.IntFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Thousands of scrape loops must spread over the interval, whatever the pods' UIDs look like. */
class ScrapeOffsetTest {
    private static final long INTERVAL_MILLIS = 15_000;
    private static final int PODS = 3000;

    @ParameterizedTest
    @ValueSource(strings = {"sequential", "random"})
    void loopsSpreadEvenlyOverEverySecondOfTheInterval(String kind) {
        IntFunction<String> uid = kind.equals("sequential")
                ? i -> new UUID(0, i + 1).toString() // what fabric8's mock API server hands out
                : i -> new UUID(i * 0x9E3779B97F4A7C15L, ~i * 0xC2B2AE3D27D4EB4FL).toString();
        int[] perSecond = new int[(int) (INTERVAL_MILLIS / 1000)];
        for (int i = 0; i < PODS; i++) {
            long offset = ScrapeScheduler.offsetInInterval(uid.apply(i), INTERVAL_MILLIS);
            assertThat(offset).isBetween(0L, INTERVAL_MILLIS - 1);
            perSecond[(int) (offset / 1000)]++;
        }
        // 200 a second on average; a thundering herd or an empty second would be far outside this.
        assertThat(Arrays.stream(perSecond).min().orElseThrow()).as("emptiest second").isGreaterThan(140);
        assertThat(Arrays.stream(perSecond).max().orElseThrow()).as("busiest second").isLessThan(260);
    }
}
