package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MessageTextTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "plain text|20|plain text",
            "exactly ten|11|exactly ten",
            "a bit too long here|10|a bit t...",
            "'bell\u0007 esc\u001b[0m nl\n cr\r tab\t nel\u0085'|100|bell? esc?[0m nl? cr? tab? nel?",
            "'bidi\u202eoverride zero\u200bwidth line\u2028sep'|100|bidi?override zero?width line?sep",
            "größe ✓ 漢字|100|größe ✓ 漢字"})
    void removesControlCharactersAndBoundsLength(String text, int max, String expected) {
        assertThat(MessageText.sanitize(text, max)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"ab\uD83D\uDE00cdef|6|ab...", "ab\uD83D\uDE00cdef|7|ab\uD83D\uDE00..."})
    void neverSplitsASurrogatePair(String text, int max, String expected) {
        assertThat(MessageText.sanitize(text, max)).isEqualTo(expected);
    }

    @Test
    void quotesShortly() {
        assertThat(MessageText.quote("x")).isEqualTo("'x'");
        assertThat(MessageText.quote("")).isEqualTo("''");
        assertThat(MessageText.quote("y".repeat(500))).hasSize(62).endsWith("...'");
    }
}
