package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.leakguard.fixtures.MetricsFixtures;
import dev.leakguard.text.BoundedText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PrometheusTextParserTest {

    // ---- real fixtures -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {MetricsFixtures.GO_PROMETHEUS_TEXT, MetricsFixtures.GO_OPENMETRICS})
    void goFixturesGiveTheValuesWrittenInThem(String fixture) throws Exception {
        boolean openMetrics = fixture.equals(MetricsFixtures.GO_OPENMETRICS);
        ExtractedValues values = extract(MetricsFixtures.bytes(fixture),
                "go_goroutines", "process_resident_memory_bytes", "go_threads",
                "fixture_request_duration_seconds_count", "fixture_request_duration_seconds_count{method=\"GET\"}",
                "fixture_requests_total{path=\"C:\\\\tmp\\\\dump\"}",
                "fixture_requests_total{path=\"line1\\nline2\"}",
                "fixture_requests_total{path=\"/search?q=\\\"leak\\\"\"}",
                "fixture_request_duration_seconds_bucket{le=\"+Inf\"}",
                "no_such_metric");

        assertThat(values.value(0)).isEqualTo(46);
        assertThat(values.value(1)).isEqualTo(openMetrics ? 9.469952e6 : 9.33888e6);
        assertThat(values.value(2)).isEqualTo(7);
        assertThat(values.value(3)).isEqualTo(188 + 1 + 12);
        assertThat(values.matches(3)).isEqualTo(3);
        assertThat(values.value(4)).isEqualTo(188 + 12);
        assertThat(values.matches(4)).isEqualTo(2);
        assertThat(values.value(5)).isEqualTo(1);
        assertThat(values.value(6)).isEqualTo(2);
        assertThat(values.value(7)).isEqualTo(3);
        assertThat(values.value(8)).isEqualTo(188 + 1 + 12);
        assertThat(values.found(9)).isFalse();
        assertThat(values.value(9)).isNaN();
    }

    @ParameterizedTest
    @ValueSource(strings = {MetricsFixtures.JVM_PROMETHEUS_TEXT, MetricsFixtures.JVM_OPENMETRICS})
    void jvmFixturesGiveTheValuesWrittenInThem(String fixture) throws Exception {
        boolean openMetrics = fixture.equals(MetricsFixtures.JVM_OPENMETRICS);
        ExtractedValues values = extract(MetricsFixtures.bytes(fixture),
                "jvm_memory_used_bytes{area=\"heap\"}",
                "jvm_memory_used_bytes{area=\"nonheap\"}",
                "jvm_memory_used_bytes{area=\"heap\",id=~\"G1 (Eden|Survivor) Space\"}",
                "jvm_memory_used_bytes{id!=\"Metaspace\",area=\"nonheap\"}",
                "jvm_threads_live_threads",
                "jvm_threads_states_threads{state=\"waiting\"}",
                "jvm_gc_pause_seconds_count");

        assertThat(values.value(0)).isEqualTo(1048576 + 7307144 + 0);
        assertThat(values.matches(0)).isEqualTo(3);
        long nonHeapWithoutMetaspace = openMetrics
                ? 1184128 + 340480 + 1566336 + 526856
                : 1179136 + 327168 + 1515520 + 521912;
        long metaspace = openMetrics ? 4323864 : 4259232;
        assertThat(values.value(1)).isEqualTo(nonHeapWithoutMetaspace + metaspace);
        assertThat(values.matches(1)).isEqualTo(5);
        assertThat(values.value(2)).isEqualTo(1048576);
        assertThat(values.matches(2)).isEqualTo(2);
        assertThat(values.value(3)).isEqualTo(nonHeapWithoutMetaspace);
        assertThat(values.value(4)).isEqualTo(18);
        assertThat(values.value(5)).isEqualTo(13);
        assertThat(values.value(6)).isEqualTo(1 + 3);
    }

    /**
     * Every sample line of every fixture, turned into a selector naming all of its labels, selects
     * exactly that one series and gives the number written on the line.
     */
    @ParameterizedTest
    @ValueSource(strings = {MetricsFixtures.GO_PROMETHEUS_TEXT, MetricsFixtures.GO_OPENMETRICS,
            MetricsFixtures.JVM_PROMETHEUS_TEXT, MetricsFixtures.JVM_OPENMETRICS})
    void everyFixtureSeriesCanBeSelectedOnItsOwn(String fixture) throws Exception {
        byte[] body = MetricsFixtures.bytes(fixture);
        List<SeriesSelector> selectors = new ArrayList<>();
        List<Double> expected = new ArrayList<>();
        for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String sample = line.contains(" # ") ? line.substring(0, line.indexOf(" # ")) : line;
            int seriesEnd = sample.contains("}") ? sample.lastIndexOf('}') + 1 : sample.indexOf(' ');
            selectors.add(SeriesSelector.parse(sample.substring(0, seriesEnd)));
            expected.add(parseGoFloat(sample.substring(seriesEnd).trim().split(" ")[0]));
        }
        assertThat(selectors).hasSizeGreaterThan(60);

        ExtractedValues values = PrometheusTextParser.extract(body, body.length, selectors);

        for (int i = 0; i < selectors.size(); i++) {
            assertThat(values.matches(i)).as(selectors.get(i).toString()).isEqualTo(1);
            assertThat(values.value(i)).as(selectors.get(i).toString()).isEqualTo(expected.get(i));
        }
    }

    private static double parseGoFloat(String text) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text);
        };
    }

    @Test
    void onlyTheGivenLengthOfTheBufferIsRead() throws Exception {
        byte[] body = "x 1\ny 2\n".getBytes(StandardCharsets.US_ASCII);

        ExtractedValues values = PrometheusTextParser.extract(body, 4, List.of(SeriesSelector.parse("y")));

        assertThat(values.found(0)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(bytes = {(byte) 0x8a, 0x0b, 0x09, 0x00, (byte) 0xff, 'x'})
    void newlineSearchFindsTheFirstNewlineAtEveryOffset(byte filler) {
        int offset = 3;
        for (int length = 0; length < 40; length++) {
            for (int newlineAt = 0; newlineAt <= length; newlineAt++) {
                byte[] bytes = new byte[offset + length + 1];
                Arrays.fill(bytes, filler);
                bytes[offset + length] = '\n';
                if (newlineAt < length) {
                    bytes[offset + newlineAt] = '\n';
                }
                assertThat(PrometheusTextParser.indexOfNewline(bytes, offset, offset + length))
                        .as("length %d, newline at %d", length, newlineAt)
                        .isEqualTo(offset + newlineAt);
            }
        }
    }

    // ---- hand-written valid bodies ----------------------------------------------------------------

    record Valid(String name, String body, String selector, double value, int matches) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Valid> validBodies() {
        return Stream.of(
                new Valid("empty body", "", "x", Double.NaN, 0),
                new Valid("only blank lines", "\n\n  \n\t\n", "x", Double.NaN, 0),
                new Valid("last line without newline", "y 3\nx 1", "x", 1, 1),
                new Valid("CRLF line ends", "y 2\r\nx 5\r\n", "x", 5, 1),
                new Valid("CRLF with labels and timestamp", "x{a=\"b\"} 5 1700000000000\r\n", "x{a=\"b\"}", 5, 1),
                new Valid("name is matched exactly, not as a prefix", "xy 1\nx_total 2\nx 3\nx_ 4\n", "x", 3, 1),
                new Valid("sum over matching series", "x{a=\"1\"} 1\nx{a=\"2\"} 2\nx{a=\"3\"} 4\n", "x", 7, 3),
                new Valid("equality matcher", "x{a=\"1\"} 1\nx{a=\"2\"} 2\n", "x{a=\"2\"}", 2, 1),
                new Valid("inequality matcher", "x{a=\"1\"} 1\nx{a=\"2\"} 2\nx{a=\"3\"} 4\n", "x{a!=\"2\"}", 5, 2),
                new Valid("regex matcher is anchored", "x{a=\"ab\"} 1\nx{a=\"abc\"} 2\nx{a=\"zab\"} 4\n",
                        "x{a=~\"ab\"}", 1, 1),
                new Valid("negative regex matcher", "x{a=\"ab\"} 1\nx{a=\"abc\"} 2\n", "x{a!~\"a.*c\"}", 1, 1),
                new Valid("missing label equals empty string", "x{a=\"1\"} 1\nx{b=\"1\"} 2\nx 4\n", "x{a=\"\"}", 6, 2),
                new Valid("negative values as they are", "x{a=\"1\"} -5\nx{a=\"2\"} 3\n", "x", -2, 2),
                new Valid("NaN value", "x NaN\n", "x", Double.NaN, 1),
                new Valid("NaN in any case", "x nan\n", "x", Double.NaN, 1),
                new Valid("+Inf value", "x +Inf\n", "x", Double.POSITIVE_INFINITY, 1),
                new Valid("-Inf value", "x -Inf\n", "x", Double.NEGATIVE_INFINITY, 1),
                new Valid("Inf without sign", "x Inf\n", "x", Double.POSITIVE_INFINITY, 1),
                new Valid("exponent notation", "x 9.469952e+06\n", "x", 9.469952e6, 1),
                new Valid("Java-style exponent", "x 2.147483648E9\n", "x", 2.147483648e9, 1),
                new Valid("explicit plus sign", "x +1.5\n", "x", 1.5, 1),
                new Valid("leading dot", "x .5\n", "x", 0.5, 1),
                new Valid("more digits than a long fast path", "x 123456789012345678901\n", "x", 1.2345678901234568e20, 1),
                new Valid("integer millisecond timestamp", "x 3 1700000000000\n", "x", 3, 1),
                new Valid("negative timestamp", "x 3 -1000\n", "x", 3, 1),
                new Valid("OpenMetrics float timestamp", "x 3 1.7000000001e9\n# EOF\n", "x", 3, 1),
                new Valid("# EOF ends the body", "x 1\n# EOF\n", "x", 1, 1),
                new Valid("# EOF without newline", "x 1\n# EOF", "x", 1, 1),
                new Valid("blank lines after # EOF", "x 1\n# EOF\n\n \n", "x", 1, 1),
                new Valid("exemplar", "x_bucket{le=\"1\"} 4 # {trace_id=\"abc\"} 0.5 1.6e9\n", "x_bucket{le=\"1\"}", 4, 1),
                new Valid("exemplar without timestamp", "x_total 4 # {trace_id=\"abc\"} 0.5\n", "x_total", 4, 1),
                new Valid("value, timestamp and exemplar", "x_total 4 1600000000 # {} 1\n", "x_total", 4, 1),
                new Valid("comments of all kinds",
                        "# a free comment\n#\n# HELP x some help with \\\\ and \\n\n# TYPE x gauge\n# UNIT x bytes\nx 2\n",
                        "x", 2, 1),
                new Valid("TYPE with trailing blanks", "# TYPE x gauge \t\nx 2\n", "x", 2, 1),
                new Valid("sample names longer and shorter than the last name",
                        "# TYPE x_seconds summary\nx_seconds_sum 1\nx_seconds_count 2\nx 3\n", "x", 3, 1),
                new Valid("tabs and spaces between tokens", "x\t{ a = \"1\" ,\tb=\"2\" }\t 7 \t\n", "x{b=\"2\"}", 7, 1),
                new Valid("trailing comma in label set", "x{a=\"1\",} 7\n", "x{a=\"1\"}", 7, 1),
                new Valid("empty label set", "x{} 7\n", "x", 7, 1),
                new Valid("escapes in label values", "x{a=\"q\\\"\\\\\\n\"} 5\n", "x{a=\"q\\\"\\\\\\n\"}", 5, 1),
                new Valid("UTF-8 label value", "x{a=\"größe ✓\"} 5\n", "x{a=\"größe ✓\"}", 5, 1),
                new Valid("same label set under other metric names is no duplicate", "y 1\ny 1\nx 2\n", "x", 2, 1),
                new Valid("colons in metric names", "job:requests:rate5m 9\n", "job:requests:rate5m", 9, 1),
                new Valid("huge label value on an unselected line",
                        "y{a=\"" + "v".repeat(60_000) + "\"} 1\nx 2\n", "x", 2, 1),
                new Valid("label value at the cap",
                        "x{a=\"" + "v".repeat(PrometheusTextParser.MAX_LABEL_VALUE_BYTES) + "\"} 2\n", "x", 2, 1));
    }

    @ParameterizedTest
    @MethodSource("validBodies")
    void validBodies(Valid valid) throws Exception {
        ExtractedValues values = extract(valid.body.getBytes(StandardCharsets.UTF_8), valid.selector);

        assertThat(values.matches(0)).isEqualTo(valid.matches);
        assertThat(values.found(0)).isEqualTo(valid.matches > 0);
        if (Double.isNaN(valid.value)) {
            assertThat(values.value(0)).isNaN();
        } else {
            assertThat(values.value(0)).isEqualTo(valid.value);
        }
    }

    @Test
    void severalSelectorsOnOneMetricAreAllServed() throws Exception {
        ExtractedValues values = extract("x{a=\"1\"} 1\nx{a=\"2\"} 2\ny 9\n".getBytes(StandardCharsets.US_ASCII),
                "x", "x{a=\"2\"}", "y", "x{a=\"3\"}");

        assertThat(values.size()).isEqualTo(4);
        assertThat(values.value(0)).isEqualTo(3);
        assertThat(values.value(1)).isEqualTo(2);
        assertThat(values.value(2)).isEqualTo(9);
        assertThat(values.matches(3)).isZero();
    }

    // ---- malformed bodies -------------------------------------------------------------------------

    record Malformed(String name, String body, int line, String problem) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Malformed> malformedBodies() {
        String tooLongValue = "v".repeat(PrometheusTextParser.MAX_LABEL_VALUE_BYTES + 1);
        return Stream.of(
                new Malformed("unterminated label value", "x{a=\"b} 1\n", 1, "unterminated value of label 'a'"),
                new Malformed("unterminated label set", "y 1\nx{a=\"b\" 1\n", 2, "expected ',' or '}'"),
                new Malformed("label set cut at line end", "x{a=\"b\",\n", 1, "unterminated label set"),
                new Malformed("invalid escape", "x{a=\"\\t\"} 1\n", 1, "invalid escape sequence: backslash followed by 't' in the value of label 'a'"),
                new Malformed("escape of a control byte", "x{a=\"\\\u0001\"} 1\n", 1, "invalid escape sequence: backslash followed by byte 0x01"),
                new Malformed("backslash at line end", "x{a=\"\\\n", 1, "unterminated value of label 'a'"),
                new Malformed("unquoted label value", "x{a=b} 1\n", 1, "expected '\"' to open the value of label 'a'"),
                new Malformed("label name starting with a digit", "x{1a=\"b\"} 1\n", 1, "expected a label name"),
                new Malformed("missing equals sign", "x{a \"b\"} 1\n", 1, "expected '=' after label name 'a'"),
                new Malformed("duplicate label name", "x{a=\"1\",a=\"2\"} 1\n", 1, "duplicate label name 'a'"),
                new Malformed("invalid value", "x abc\n", 1, "invalid value 'abc'"),
                new Malformed("Java-only number syntax", "x 1d\n", 1, "invalid value '1d'"),
                new Malformed("hex number", "x 0x10\n", 1, "invalid value '0x10'"),
                new Malformed("signed NaN", "x +NaN\n", 1, "invalid value"),
                new Malformed("empty number", "x{a=\"1\"}\n", 1, "missing value"),
                new Malformed("missing value", "x\n", 1, "missing value after metric name"),
                new Malformed("invalid timestamp", "x 1 abc\n", 1, "invalid timestamp 'abc'"),
                new Malformed("NaN timestamp", "x 1 NaN\n", 1, "invalid timestamp"),
                new Malformed("too many tokens", "x 1 2 3\n", 1, "unexpected '3' after value"),
                new Malformed("duplicate series", "x{a=\"1\"} 1\nx{a=\"1\"} 2\n", 2, "duplicate series 'x{a=\"1\"}'"),
                new Malformed("duplicate series in another label order",
                        "x{a=\"1\",b=\"2\"} 1\nx{b=\"2\",a=\"1\"} 2\n", 2, "duplicate series"),
                new Malformed("duplicate unlabelled series", "x 1\nx 2\n", 2, "duplicate series 'x{}'"),
                new Malformed("metric name starting with a digit", "x 1\n1x 2\n", 2, "expected a metric name or '#'"),
                new Malformed("garbage after an unselected metric name", "y-z 1\n", 1, "unexpected '-' after metric name"),
                new Malformed("unselected metric without value", "x 1\ny\n", 2, "missing value after metric name"),
                new Malformed("unknown TYPE", "# TYPE x bogus\nx 1\n", 1, "unknown metric type 'bogus'"),
                new Malformed("HELP without metric name", "# HELP \n", 1, "expected a metric name"),
                new Malformed("TYPE without type", "# TYPE x\nx 1\n", 1, "unknown metric type ''"),
                new Malformed("TYPE that only starts like one", "# TYPE x gauges\nx 1\n", 1, "unknown metric type 'gauges'"),
                // A name is checked only past what it shares with the last valid name: the rest must still be checked.
                new Malformed("sample name going wrong past its family's name", "# TYPE y counter\ny-total 1\n", 2,
                        "unexpected '-' after metric name"),
                new Malformed("TYPE name going wrong past the last sample's name", "y_total 1\n# TYPE y_to.tal counter\n", 2,
                        "unexpected '.' in metric name of comment"),
                new Malformed("name starting with a digit after a valid name", "y 1\n9y 2\n", 2, "expected a metric name or '#'"),
                new Malformed("content after # EOF", "x 1\n# EOF\n\ny 2\n", 4, "content after # EOF"),
                new Malformed("exemplar without label set", "x 1 # trace\n", 1, "expected an exemplar label set"),
                new Malformed("exemplar without value", "x 1 # {a=\"b\"}\n", 1, "missing exemplar value"),
                new Malformed("exemplar with trailing junk", "x 1 # {a=\"b\"} 1 2 3\n", 1, "after exemplar"),
                new Malformed("label value over the cap", "x{a=\"" + tooLongValue + "\"} 1\n", 1,
                        "the value of label 'a' is longer than " + PrometheusTextParser.MAX_LABEL_VALUE_BYTES),
                new Malformed("escaped label value over the cap", "x{a=\"\\n" + tooLongValue + "\"} 1\n", 1,
                        "is longer than " + PrometheusTextParser.MAX_LABEL_VALUE_BYTES),
                new Malformed("line over the cap, even unselected",
                        "x 1\ny{a=\"" + "v".repeat(PrometheusTextParser.MAX_LINE_BYTES) + "\"} 1\n", 2,
                        "line is longer than " + PrometheusTextParser.MAX_LINE_BYTES),
                new Malformed("too many labels", "x{" + manyLabels(PrometheusTextParser.MAX_LABELS + 1) + "} 1\n", 1,
                        "more than " + PrometheusTextParser.MAX_LABELS + " labels"));
    }

    private static String manyLabels(int count) {
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < count; i++) {
            labels.append("l").append(i).append("=\"v\",");
        }
        return labels.toString();
    }

    @ParameterizedTest
    @MethodSource("malformedBodies")
    void malformedBodiesAreReportedWithLineAndProblem(Malformed malformed) {
        MetricsParseException error = catchThrowableOfType(MetricsParseException.class,
                () -> extract(malformed.body.getBytes(StandardCharsets.UTF_8), "x"));

        assertThat(error).as("expected a MetricsParseException").isNotNull();
        assertThat(error.getMessage()).startsWith("line " + malformed.line + ": ").contains(malformed.problem);
        assertThat(error.lineNumber()).isEqualTo(malformed.line);
        assertThat(error.getMessage()).hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES)
                .doesNotContainPattern("\\p{Cntrl}");
    }

    @Test
    void errorMessagesQuotingHostileInputStayShortAndPrintable() {
        String hostile = "x{a=\"1\"} 1\nx{a=\"1\"} 1\n".replace("1\"", "\u0007\r\u202e" + "y".repeat(5000) + "\"");

        assertThatThrownBy(() -> extract(hostile.getBytes(StandardCharsets.UTF_8), "x"))
                .isInstanceOf(MetricsParseException.class)
                .hasMessageStartingWith("line 2: duplicate series")
                .satisfies(e -> assertThat(e.getMessage())
                        .hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES)
                        .doesNotContainPattern("[\\p{Cntrl}\\u202e]"));
    }

    @Test
    void lengthOutsideTheBufferIsAProgrammingError() {
        assertThatThrownBy(() -> PrometheusTextParser.extract(new byte[3], 4, List.of()))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    private static ExtractedValues extract(byte[] body, String... selectors) throws MetricsParseException {
        return PrometheusTextParser.extract(body, body.length,
                Arrays.stream(selectors).map(SeriesSelector::parse).toList());
    }
}
