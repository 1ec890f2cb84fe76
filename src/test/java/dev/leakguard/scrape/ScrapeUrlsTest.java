package dev.leakguard.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ScrapeUrlsTest {

    static Stream<Arguments> goodTargets() {
        return Stream.of(
                Arguments.of("10.1.2.3", 8080, "/metrics", "http://10.1.2.3:8080/metrics"),
                Arguments.of("10.1.2.3", 6060, "/debug/pprof/goroutine?debug=1",
                        "http://10.1.2.3:6060/debug/pprof/goroutine?debug=1"),
                Arguments.of("192.168.0.255", 1, "/", "http://192.168.0.255:1/"),
                Arguments.of("fd00::1", 9090, "/actuator/prometheus", "http://[fd00::1]:9090/actuator/prometheus"),
                Arguments.of("2001:DB8::A:1", 65535, "/metrics", "http://[2001:db8::a:1]:65535/metrics"),
                Arguments.of("::1", 80, "/metrics", "http://[::1]:80/metrics"),
                Arguments.of("::ffff:10.0.0.1", 80, "/metrics", "http://10.0.0.1:80/metrics"),
                Arguments.of("10.0.0.1", 80, "/a/b.c/d-e_f~g;v=1/x:y?q=1&r=a,b&s=%2F..", "http://10.0.0.1:80/a/b.c/d-e_f~g;v=1/x:y?q=1&r=a,b&s=%2F.."),
                Arguments.of("10.0.0.1", 80, "/metrics%2Dv2", "http://10.0.0.1:80/metrics%2Dv2"));
    }

    @ParameterizedTest(name = "{0}:{1}{2}")
    @MethodSource("goodTargets")
    void buildsUrlsWhoseHostIsThePodIp(String podIp, int port, String path, String expected) {
        URI uri = ScrapeUrls.build(podIp, port, path);

        assertThat(uri).hasToString(expected);
        assertThat(uri.getScheme()).isEqualTo("http");
        assertThat(uri.getPort()).isEqualTo(port);
        assertThat(uri.getRawUserInfo()).isNull();
        assertThat(ScrapeUrls.validatePath(path)).isNull();
    }

    static Stream<Arguments> attackPaths() {
        return Stream.of(
                Arguments.of("http://169.254.169.254/latest/meta-data", "must start with '/'"),
                Arguments.of("https://evil.example/metrics", "must start with '/'"),
                Arguments.of("metrics", "must start with '/'"),
                Arguments.of("//evil.example/metrics", "must not start with '//'"),
                Arguments.of("///evil.example", "must not start with '//'"),
                Arguments.of("@evil.example/metrics", "must start with '/'"),
                Arguments.of("/@evil.example", "must not contain '@'"),
                Arguments.of("/metrics@evil.example:80", "must not contain '@'"),
                Arguments.of("/%40evil.example", "must not contain '@' even percent-encoded"),
                Arguments.of("\\\\evil.example\\metrics", "must start with '/'"),
                Arguments.of("/\\evil.example", "must not contain '\\'"),
                Arguments.of("/%5c..%5cetc", "must not contain '\\' even percent-encoded"),
                Arguments.of("/..", "'..' segments"),
                Arguments.of("/../../etc/passwd", "'..' segments"),
                Arguments.of("/debug/../admin", "'..' segments"),
                Arguments.of("/%2e%2e/admin", "'..' segments"),
                Arguments.of("/%2E%2E/admin", "'..' segments"),
                Arguments.of("/.%2e/admin", "'..' segments"),
                Arguments.of("/a/..%2fadmin", "'..' segments"),
                Arguments.of("/a%2f..%2fadmin", "'..' segments"),
                Arguments.of(" /metrics", "must start with '/'"),
                Arguments.of("/metrics ", "must not contain whitespace"),
                Arguments.of("/met rics", "must not contain whitespace"),
                Arguments.of("/metrics\t", "must not contain character U+0009"),
                Arguments.of("/metrics\n", "must not contain character U+000A"),
                Arguments.of("/metrics\r\nHost: evil.example", "must not contain character U+000D"),
                Arguments.of("/metrics%0d%0aHost:%20evil", "even percent-encoded"),
                Arguments.of("/metrics%00", "even percent-encoded"),
                Arguments.of("/metrics%20", "must not contain whitespace even percent-encoded"),
                Arguments.of("/metrics#fragment", "must not contain '#'"),
                Arguments.of("/metrics%", "invalid percent-encoding"),
                Arguments.of("/metrics%4", "invalid percent-encoding"),
                Arguments.of("/metrics%zz", "invalid percent-encoding"),
                Arguments.of("/m\u00e9trics", "must not contain character U+00E9"),
                Arguments.of("/metrics\u2028", "must not contain character U+2028"),
                Arguments.of("/metrics?x=\u0000", "must not contain character U+0000"),
                Arguments.of("/[::1]/metrics", "must not contain '['"),
                Arguments.of("/metrics?a=<script>", "must not contain '<'"),
                Arguments.of("/" + "a".repeat(ScrapeUrls.MAX_PATH_CHARS), "longer than 1024"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackPaths")
    void attackPathsAreRejected(String path, String problem) {
        assertThat(ScrapeUrls.validatePath(path)).contains(problem).doesNotContainPattern("\\p{Cntrl}");
        assertThatThrownBy(() -> ScrapeUrls.build("10.0.0.1", 8080, path))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(problem);
    }

    @ParameterizedTest
    @NullAndEmptySource
    void missingPathIsRejected(String path) {
        assertThat(ScrapeUrls.validatePath(path)).isEqualTo("path must not be empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "evil.example", "kubernetes.default.svc", "10.1.2", "10.1.2.3.4", "256.1.1.1",
            "010.1.1.1", "0x7f.0.0.1", "2130706433", "10.1.2.3:80", "10.1.2.3/32", " 10.1.2.3", "10.1.2.3 ",
            "10.1.2.3@evil.example", "[fd00::1]", "fd00::1%eth0", "fd00::g", "fd00:::1:2:3:4:5:6:7:8:9", ":", "1.2.3.4\n"})
    void anythingButAnIpLiteralIsRejectedAsHost(String podIp) {
        assertThatThrownBy(() -> ScrapeUrls.build(podIp, 8080, "/metrics"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not an IPv4 or IPv6 address")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContainPattern("\\p{Cntrl}"));
    }

    @ParameterizedTest
    @NullAndEmptySource
    void missingPodIpIsRejected(String podIp) {
        assertThatThrownBy(() -> ScrapeUrls.build(podIp, 8080, "/metrics"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pod IP is empty");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65536})
    void portOutsideTheTcpRangeIsRejected(int port) {
        assertThatThrownBy(() -> ScrapeUrls.build("10.0.0.1", port, "/metrics"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be in 1..65535, was " + port);
    }
}
