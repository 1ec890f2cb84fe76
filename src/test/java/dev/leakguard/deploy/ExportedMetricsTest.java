package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExportedMetricsTest {

    /**
     * Scrape output of a real Micrometer 1.17.2 PrometheusMeterRegistry holding one meter of each
     * contract metric (dotted Micrometer names, e.g. counter "leakguard.actions", gauge
     * "leakguard.pod.memory" with base unit "bytes", timer "leakguard.scrape.duration" with a
     * percentile histogram).
     */
    private static final Path MICROMETER_SCRAPE =
            ProjectFiles.ROOT.resolve("src/test/resources/fixtures/metrics/micrometer-1.17.2-leakguard-meters.txt");

    @Test
    void theContractIsWhatMicrometerExposesForTheOperatorsMeters() {
        Map<String, Set<String>> scraped = ExportedMetrics.fromExposition(ProjectFiles.read(MICROMETER_SCRAPE));

        assertThat(scraped).containsAllEntriesOf(ExportedMetrics.CONTRACT);
        // Micrometer adds a _max gauge to every timer; nothing else is extra.
        assertThat(scraped.keySet()).containsExactlyInAnyOrderElementsOf(
                concat(ExportedMetrics.CONTRACT.keySet(), "leakguard_scrape_duration_seconds_max", "leakguard_decision_duration_seconds_max"));
    }

    @Test
    void readsLabelNamesWhateverTheValuesContain() {
        String exposition = """
                # HELP odd_total A counter with awkward label values.
                # TYPE odd_total counter
                odd_total{a="x,y=z",b="quote \\" and brace }",c=""} 1.0 1700000000000

                plain 3
                odd_total{d="\\\\"} 2
                """;

        assertThat(ExportedMetrics.fromExposition(exposition)).isEqualTo(Map.of(
                "odd_total", Set.of("a", "b", "c", "d"),
                "plain", Set.of()));
    }

    private static Set<String> concat(Set<String> names, String... extra) {
        Set<String> all = new java.util.HashSet<>(names);
        all.addAll(Set.of(extra));
        return all;
    }
}
