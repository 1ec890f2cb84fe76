package dev.leakguard.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FetchLimitsTest {

    @Test
    void defaultsForMetricsAndProfiles() {
        assertThat(FetchLimits.metricsDefaults())
                .isEqualTo(new FetchLimits(10L * 1024 * 1024, Duration.ofSeconds(2), Duration.ofSeconds(10)));
        assertThat(FetchLimits.profileDefaults())
                .isEqualTo(new FetchLimits(32L * 1024 * 1024, Duration.ofSeconds(2), Duration.ofSeconds(20)));
    }

    @Test
    void nonsenseLimitsAreRejected() {
        Duration second = Duration.ofSeconds(1);
        assertThatThrownBy(() -> new FetchLimits(0, second, second)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FetchLimits(FetchLimits.MAX_BODY_BYTES_LIMIT + 1, second, second))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FetchLimits(1, Duration.ZERO, second)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FetchLimits(1, second, second.negated())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failureKindLabelsAreStable() {
        assertThat(Arrays.stream(FailureKind.values()).map(FailureKind::label))
                .containsExactly("connection", "timeout", "http_status", "redirect", "too_large", "bad_encoding", "tls", "credentials");
    }
}
