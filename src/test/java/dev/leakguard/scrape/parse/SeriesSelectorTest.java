package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SeriesSelectorTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "process_resident_memory_bytes",
            "go_goroutines",
            "jvm_memory_used_bytes{area=\"heap\"}",
            "x{a=\"b\",c!=\"d\"}",
            "x{a=~\"G1 .*\",b!~\"x|y\"}",
            "job:requests:rate5m{code=\"\"}",
            "x{a=\"quote \\\" backslash \\\\ newline \\n tab \\t\"}",
            "_x{_a=\"größe\"}"})
    void canonicalTextRoundTrips(String text) {
        SeriesSelector selector = SeriesSelector.parse(text);

        assertThat(selector.toString()).isEqualTo(text);
        assertThat(SeriesSelector.parse(selector.toString())).isEqualTo(selector).hasSameHashCodeAs(selector);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "  x  |x",
            "x{}|x",
            "x { a = 'b' , c != \"d\" , }|x{a=\"b\",c!=\"d\"}",
            "x{a='it\\'s'}|x{a=\"it's\"}"})
    void otherSpellingsReadToTheCanonicalForm(String text, String canonical) {
        assertThat(SeriesSelector.parse(text).toString()).isEqualTo(canonical);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "x{a=\"b\"}|x",
            "x{a=\"b\"}|a",
            "x{a!=\"b\",a!=\"c\"}|x"})
    void selectorsWithDifferentMatchersDiffer(String left, String right) {
        assertThat(SeriesSelector.parse(left)).isNotEqualTo(SeriesSelector.parse(right));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "``|expected metric name at offset 0",
            "`{a=\"b\"}`|expected metric name at offset 0",
            "`1x`|expected metric name at offset 0",
            "`x y`|unexpected 'y' at offset 2",
            "`x{`|expected label name at offset 2",
            "`x{a}`|expected one of = != =~ !~ at offset 3",
            "`x{a==\"b\"}`|expected a quoted label value at offset 4",
            "`x{a=b}`|expected a quoted label value at offset 4",
            "`x{a=\"b}`|unterminated label value",
            "`x{a=\"b\"`|expected ',' or '}' at offset 7",
            "`x{a=\"b\" c=\"d\"}`|expected ',' or '}' at offset 8",
            "`x{a=\"\\q\"}`|invalid escape '\\q'",
            "`x{a:b=\"c\"}`|expected one of = != =~ !~ at offset 3",
            "`x{a=~\"(\"}`|invalid regular expression",
            "`x{__name__=\"y\"}`|write the metric name before '{'",
            "`x{a=\"b\"}}`|unexpected '}' at offset 8"})
    void badSyntaxIsRejectedWithAClearMessage(String text, String problem) {
        assertThatThrownBy(() -> SeriesSelector.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid series selector '")
                .hasMessageContaining(problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x\u0000", "x{a=\"\u001b[31m\"} junk\n"})
    void messagesDoNotCarryControlCharacters(String text) {
        assertThatThrownBy(() -> SeriesSelector.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContainPattern("\\p{Cntrl}"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "x{a=\"1\"}|1|true",
            "x{a=\"1\"}|2|false",
            "x{a!=\"1\"}|2|true",
            "'x{a=~\"1|2\"}'|2|true",
            "x{a=~\"1\"}|12|false",
            "x{a!~\"1.*\"}|12|false",
            "x{a!~\"1.*\"}|2|true"})
    void matchersFollowPromQlSemantics(String selector, String labelValue, boolean selected) {
        boolean matched = SeriesSelector.parse(selector)
                .matchesLabels(new String[] {"a"}, new String[] {labelValue}, 1);

        assertThat(matched).isEqualTo(selected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"x{b=\"\"}|true", "x{b!=\"\"}|false", "x{b=~\".*\"}|true", "x{b=\"1\"}|false"})
    void aMissingLabelCountsAsEmpty(String selector, boolean selected) {
        assertThat(SeriesSelector.parse(selector).matchesLabels(new String[] {"a"}, new String[] {"1"}, 1))
                .isEqualTo(selected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "x|pod|checkout-0|x{pod=\"checkout-0\"}",
            "x{a=~\"b.*\"}|namespace|shop|x{a=~\"b.*\",namespace=\"shop\"}",
            "x|pod|'a\"b\\c'|x{pod=\"a\\\"b\\\\c\"}"})
    void withLabelAddsAnEqualityMatcherThatReadsBack(String selector, String name, String value, String expected) {
        SeriesSelector narrowed = SeriesSelector.parse(selector).withLabel(name, value);

        assertThat(narrowed.toString()).isEqualTo(expected);
        assertThat(SeriesSelector.parse(expected)).isEqualTo(narrowed);
        assertThat(narrowed.matchesLabels(new String[] {name, "a"}, new String[] {value, "bb"}, 2)).isTrue();
        assertThat(narrowed.matchesLabels(new String[] {name, "a"}, new String[] {value + "x", "bb"}, 2)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "__name__", "1pod", "pod-name", "pod:name"})
    void withLabelRejectsWhatIsNotALabelName(String name) {
        assertThat(SeriesSelector.isLabelName(name)).isFalse();
        assertThatThrownBy(() -> SeriesSelector.parse("x").withLabel(name, "v")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid label name");
    }
}
