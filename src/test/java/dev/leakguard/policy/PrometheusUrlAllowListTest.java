package dev.leakguard.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PrometheusUrlAllowListTest {
    private final PrometheusUrlAllowList allowed = PrometheusUrlAllowList.of("http://prometheus.monitoring:9090",
            List.of("https://thanos-query.monitoring/prometheus/", "http://127.0.0.1:9090"));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "another host                 | http://metadata.google.internal/computeMetadata/v1 | not a Prometheus server the operator allows",
        "another port                 | http://prometheus.monitoring:9091                  | not a Prometheus server the operator allows",
        "another path                 | http://prometheus.monitoring:9090/federate         | not a Prometheus server the operator allows",
        "https for an http server     | https://prometheus.monitoring:9090                 | not a Prometheus server the operator allows",
        "IPv6 literal of loopback     | http://[::1]:9090                                  | not a Prometheus server the operator allows",
        "IPv4-mapped IPv6 literal     | http://[::ffff:127.0.0.1]:9090                     | not a Prometheus server the operator allows",
        "decimal IPv4                 | http://2130706433:9090                             | not a Prometheus server the operator allows",
        "user info before the host    | http://prometheus.monitoring:9090@evil.example     | must not carry user info",
        "user info with a password    | http://admin:s3cret@prometheus.monitoring:9090     | must not carry user info",
        "file scheme                  | file:///etc/passwd                                 | must be an http or https URL",
        "gopher scheme                | gopher://127.0.0.1:6379/_FLUSHALL                  | must be an http or https URL",
        "no scheme                    | prometheus.monitoring:9090                         | must be an http or https URL",
        "query smuggled in            | http://prometheus.monitoring:9090?x=1              | without query or fragment",
        "not a URL                    | http://prometheus monitoring:9090                  | is not a URL"})
    void hostileUrlsAreRefusedWithAReason(String name, String url, String reason) {
        assertThatThrownBy(() -> allowed.permit(url)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason).hasMessageNotContaining("s3cret");
    }

    @Test
    void theRefusalNamesTheFlagsThatWouldAllowIt() {
        assertThatThrownBy(() -> allowed.permit("http://10.0.0.1:9090")).hasMessageContaining("--allowed-prometheus-urls")
                .hasMessageContaining("--prometheus-url");
        assertThatThrownBy(() -> PrometheusUrlAllowList.none().permit("http://10.0.0.1:9090"))
                .hasMessageContaining("it allows none (set --prometheus-url or --allowed-prometheus-urls)");
    }

    @Test
    void anAllowedServerIsRecognisedInAnySpellingAndReadAsTheAdminWroteIt() {
        assertThat(allowed.permit("HTTP://Prometheus.Monitoring:9090/")).isEqualTo("http://prometheus.monitoring:9090");
        assertThat(allowed.permit("https://thanos-query.monitoring:443/prometheus")).isEqualTo("https://thanos-query.monitoring/prometheus/");
        assertThat(allowed.permit("http://127.0.0.1:9090")).isEqualTo("http://127.0.0.1:9090");
        assertThat(allowed.defaultUrl()).isEqualTo("http://prometheus.monitoring:9090");
    }

    @Test
    void theOperatorsOwnUnusableUrlsFailAtStartNamingTheFlag() {
        assertThatThrownBy(() -> PrometheusUrlAllowList.of("ftp://prometheus:21", List.of()))
                .hasMessageStartingWith("--prometheus-url: ");
        assertThatThrownBy(() -> PrometheusUrlAllowList.of(null, List.of("http://u:p@prometheus:9090")))
                .hasMessageStartingWith("--allowed-prometheus-urls: ").hasMessageNotContaining("u:p");
    }
}
