package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.deploy.PromQl.Matcher;
import dev.leakguard.deploy.PromQl.Selector;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PromQlTest {

    static Stream<Arguments> expressions() {
        return Stream.of(
                Arguments.of("bare metric", "up",
                        List.of(new Selector("up", List.of()))),
                Arguments.of("matchers of every operator, spaces and escapes",
                        "x{a=\"1\", b != '2',c=~\"$ns|a\\\"b\" , d!~`\\d+`}",
                        List.of(new Selector("x", List.of(
                                new Matcher("a", "=", "1"), new Matcher("b", "!=", "2"),
                                new Matcher("c", "=~", "$ns|a\"b"), new Matcher("d", "!~", "\\d+"))))),
                Arguments.of("functions, ranges, Grafana variables and numbers are not series",
                        "histogram_quantile(0.99, sum by (le, policy) (rate(h_bucket{p=~\"$policy\"}[$__rate_interval]))) * $horizon + 1e3",
                        List.of(new Selector("h_bucket", List.of(new Matcher("p", "=~", "$policy"))))),
                Arguments.of("aggregation with the grouping before the parentheses",
                        "count by (verdict) (v == 1) or vector(0)",
                        List.of(new Selector("v", List.of()))),
                Arguments.of("binary operators, on/group_left label lists and offset",
                        "a < 1800 and on (namespace, pod) b{verdict=\"leaking\"} unless c offset 1h * on(x) group_left(y) d",
                        List.of(new Selector("a", List.of()), new Selector("b", List.of(new Matcher("verdict", "=", "leaking"))),
                                new Selector("c", List.of()), new Selector("d", List.of()))),
                Arguments.of("selector by __name__ only",
                        "{__name__=\"leakguard_pod_threads\", pod=\"p\"}",
                        List.of(new Selector("leakguard_pod_threads", List.of(
                                new Matcher("__name__", "=", "leakguard_pod_threads"), new Matcher("pod", "=", "p"))))),
                Arguments.of("strings in function arguments are not series",
                        "label_replace(up, \"dst\", \"$1\", \"instance\", \"(.*):.*\") and absent(down{job=\"x\"})",
                        List.of(new Selector("up", List.of()), new Selector("down", List.of(new Matcher("job", "=", "x"))))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expressions")
    void findsTheSeriesSelectors(String name, String expr, List<Selector> expected) {
        assertThat(PromQl.selectors(expr)).isEqualTo(expected);
    }
}
