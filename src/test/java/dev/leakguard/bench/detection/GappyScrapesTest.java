package dev.leakguard.bench.detection;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The benchmark's series with lost scrapes and gaps. */
class GappyScrapesTest {

    /**
     * Round 9: development seed 2's {@code gappy-noisy-11} has no leak; it loses scrapes in stretches,
     * and the minimum of the fewer samples left lies higher, a floor rise over the long view that
     * was acted on at 4 h 53 min ("+127Ki/min over the last 2h ... the highest in ~11m"). Floor
     * points compared like with like (brought to the typical span's sample count) show no rise.
     */
    @Test
    void aFlatSeriesThatLosesScrapesIsNotActedOn() {
        assertThat(BenchmarkReplays.actedOn(2, "gappy-noisy")).doesNotContain("gappy-noisy-11");
    }
}
