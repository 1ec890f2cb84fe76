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

    /**
     * Round 9: development seed 3's {@code gappy-irregular-26} and 20261208's {@code gappy-irregular-4}
     * are leaks whose last stretch falls in a scrape gap longer than the window; after it the window held too
     * little ("collecting data") until the OOM kill, 6 and 19 minutes later. The long view still
     * has its floor across the gap and projects the leak it saw rising before it.
     */
    @Test
    void aLeakIsProjectedAcrossAScrapeGapOnTheLongView() {
        assertThat(BenchmarkReplays.actedOn(3, "gappy-irregular")).contains("gappy-irregular-26");
        assertThat(BenchmarkReplays.actedOn(20261208, "gappy-irregular")).contains("gappy-irregular-4");
    }

    /**
     * Round 9: the doubled confirmation of a young window (round 8, for warm-ups slower than the
     * configured one) applied after every scrape gap too, since the window is short of floor points
     * then; tuning seed 7's {@code gappy-irregular-20}, acted on across its gap, was OOM-killed 4
     * minutes after it, inside the doubled 6. A series whose long view has its floor is not young.
     */
    @Test
    void aSeriesWithALongViewIsNotYoungAfterAScrapeGap() {
        assertThat(BenchmarkReplays.actedOn(7, "gappy-irregular")).contains("gappy-irregular-20");
    }
}
