package dev.leakguard.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantitiesAndDurationsTest {

    @ParameterizedTest
    @CsvSource({
        "512Mi, 536870912", "1Gi, 1073741824", "1.5Gi, 1610612736", "0.5Ki, 512", "2Ti, 2199023255552",
        "128974848, 128974848", "129e6, 129000000", "129E6, 129000000", "129M, 129000000", "1k, 1000",
        "1G, 1000000000", "' 64Mi ', 67108864", "1e3, 1000", ".5Mi, 524288"})
    void parsesKubernetesQuantities(String text, double bytes) {
        assertThat(Quantities.parseBytes(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Mi", "12 Mi", "1.2.3", "5MB", "1e", "abc", "0x10"})
    void rejectsMalformedQuantities(String text) {
        assertThatThrownBy(() -> Quantities.parseBytes(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("quantity");
    }

    @ParameterizedTest
    @ValueSource(strings = {"512m", "0", "-1Gi"})
    void rejectsSubByteMemory(String text) {
        assertThatThrownBy(() -> Quantities.parseBytes(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one byte");
    }

    @ParameterizedTest
    @CsvSource({"15s, 15000", "30m, 1800000", "1h30m, 5400000", "500ms, 500", "1.5h, 5400000", "1m30s, 90000"})
    void parsesDurations(String text, long millis) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @CsvSource({"45000, 45s", "250000, 4m10s", "5400000, 1h30m", "1500, 1s500ms", "0, 0s", "90061001, 25h1m1s1ms"})
    void formatsDurationsAsPoliciesWriteThemNeverIso(long millis, String text) {
        assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text).doesNotContain("PT");
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "15", "m", "1x", "15s garbage", "-5m", "1h 30m", " 5m ", "2d"})
    void rejectsMalformedDurations(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duration");
    }


    /** One rule: what the CRD schema's pattern admits is exactly what the operator and analyze parse. */
    @ParameterizedTest
    @ValueSource(strings = {"15s", "30m", "1h30m", "500ms", "1.5h", "0s", "", "15", "m", "1x", "15s garbage", "-5m",
        "1h 30m", " 5m ", "2d", "1.m", "5M"})
    void theSchemaPatternAcceptsWhatTheParserAccepts(String text) {
        boolean parses;
        try {
            Durations.parse(text);
            parses = true;
        } catch (IllegalArgumentException e) {
            parses = false;
        }
        assertThat(text.matches(Durations.SYNTAX)).as(text).isEqualTo(parses);
    }
}
