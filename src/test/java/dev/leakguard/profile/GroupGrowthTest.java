package dev.leakguard.profile;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GroupGrowthTest {

    private static final String REAPER =
            "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper (chan receive; created by gopkg.in/redis.v5/internal/pool.NewConnPool)";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "3   | 7389 | true  | goroutines | +7386 goroutines " + REAPER,
            "0   | 7386 | false | goroutines | 7386 goroutines " + REAPER,
            "10  | 11   | true  | goroutines | +1 goroutine " + REAPER,
            "0   | 1    | false | threads    | 1 thread " + REAPER,
            "12  | 12   | true  | threads    | +0 threads " + REAPER,
            "20  | 18   | true  | threads    | -2 threads " + REAPER,
            "2   | 1    | true  | threads    | -1 thread " + REAPER})
    void describeLeadsWithGrowthOrSize(long before, long after, boolean hasBaseline, String noun, String expected) {
        GroupGrowth growth = new GroupGrowth("key", REAPER, before, after, hasBaseline);

        assertThat(growth.describe(noun)).isEqualTo(expected);
        assertThat(growth.growth()).isEqualTo(after - before);
    }
}
