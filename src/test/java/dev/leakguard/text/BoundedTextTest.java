package dev.leakguard.text;

import static dev.leakguard.text.BoundedText.EVENT_MESSAGE_MAX_BYTES;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BoundedTextTest {

    private static final String HEAD = "Memory will reach the 512Mi limit in about 12m; fastest-growing goroutine groups:";

    @Test
    void everythingFitsUnchanged() {
        String message = BoundedText.fit(HEAD, List.of("+7386 goroutines a.reaper (chan receive)", "+3 goroutines b.c"), 1024);

        assertThat(message).isEqualTo(HEAD + " +7386 goroutines a.reaper (chan receive); +3 goroutines b.c");
    }

    @Test
    void cutsAtWholeEntriesAndCountsTheRest() {
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            entries.add("+" + (1000 - i) + " goroutines example.com/service/internal/worker" + i + ".(*Pool).run (select)");
        }

        String message = BoundedText.fit(HEAD, entries, EVENT_MESSAGE_MAX_BYTES);

        assertThat(bytes(message)).isLessThanOrEqualTo(EVENT_MESSAGE_MAX_BYTES);
        int kept = message.split("; \\+").length;
        assertThat(message).startsWith(HEAD + " " + entries.get(0) + "; " + entries.get(1))
                .endsWith("(select); … and " + (40 - kept) + " more");
        assertThat(message).contains(entries.get(kept - 1)).doesNotContain(entries.get(kept));
        // One more entry would not have fitted.
        assertThat(bytes(message.replace("; … and " + (40 - kept) + " more", "; " + entries.get(kept) + "; … and "
                + (39 - kept) + " more"))).isGreaterThan(EVENT_MESSAGE_MAX_BYTES);
    }

    @Test
    void countsBytesNotCharactersForMultibyteText() {
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            entries.add("+" + i + " threads 订单处理-N-线程-N (WAITING; at 订单.服务.处理器$任务.运行😀)");
        }
        String head = "内存将在 12 分钟内达到上限:";
        // Counted in chars everything would fit; in bytes it does not.
        assertThat((head + String.join("; ", entries)).length()).isLessThan(EVENT_MESSAGE_MAX_BYTES);

        String message = BoundedText.fit(head, entries, EVENT_MESSAGE_MAX_BYTES);

        assertThat(bytes(message)).isLessThanOrEqualTo(EVENT_MESSAGE_MAX_BYTES).isGreaterThan(EVENT_MESSAGE_MAX_BYTES - 120);
        assertThat(message).matches(
                "内存将在 12 分钟内达到上限: (\\+\\d+ threads 订单处理-N-线程-N \\(WAITING; at 订单\\.服务\\.处理器\\$任务\\.运行😀\\); )+… and \\d+ more");
    }

    @Test
    void aFirstEntryTooLongForTheMessageIsCutAtACharacterBoundary() {
        String huge = "+9000 goroutines " + "😀".repeat(400);

        String message = BoundedText.fit(HEAD, List.of(huge, "+1 goroutine x"), EVENT_MESSAGE_MAX_BYTES);

        assertThat(bytes(message)).isLessThanOrEqualTo(EVENT_MESSAGE_MAX_BYTES).isGreaterThan(EVENT_MESSAGE_MAX_BYTES - 4);
        assertThat(message).startsWith(HEAD + " +9000 goroutines 😀").endsWith("😀…; … and 1 more");
        assertThat(message).doesNotContain("\uFFFD");
        assertThat(new String(message.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(message);
    }

    @Test
    void aHeadTooLongIsCutWithAnEllipsis() {
        String message = BoundedText.fit("é".repeat(600), List.of("+1 goroutine x"), 100);

        assertThat(message).isEqualTo("é".repeat(48) + "…");
        assertThat(bytes(message)).isEqualTo(99);
    }

    @Test
    void controlAndFormatCharactersCannotForgeLinesOrReorderText() {
        String message = BoundedText.fit("OOM\npredicted\u0000", List.of("+5 goroutines evil\u202Egnp.exe\r\n(select)\t",
                "\u0007", "x\u2028y\u2029z"), 1024);

        assertThat(message).isEqualTo("OOM predicted +5 goroutines evilgnp.exe  (select); x y z");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 10, 50, 200})
    void neverExceedsTheLimitEvenWhenTiny(int maxBytes) {
        Random random = new Random(maxBytes);
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            entries.add("+" + random.nextInt(10_000) + " goroutines 協程" + "😀".repeat(random.nextInt(20)));
        }

        String message = BoundedText.fit(HEAD, entries, maxBytes);

        assertThat(bytes(message)).isLessThanOrEqualTo(maxBytes);
        assertThat(message).doesNotContain("\uFFFD");
        message.codePoints().forEach(cp -> assertThat(Character.getType(cp)).isNotEqualTo(Character.SURROGATE));
    }

    @Test
    void utf8LengthMatchesTheEncoder() {
        String text = "a é 订 😀 \u0000";
        assertThat(BoundedText.utf8Length(text)).isEqualTo(bytes(text));
    }

    private static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The rows' text is unescaped by Java (\u0007 …); the CSV's own \n, \r, \t need the replace. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "plain text|20|plain text",
            "exactly ten|11|exactly ten",
            "a bit too long here|10|a bit t\u2026",
            "'bell\u0007 esc\u001b[0m nl\\n cr\\r tab\\t nel\u0085'|100|bell  esc [0m nl  cr  tab  nel",
            "'bidi\u202Eoverride zero\u200Bwidth private\uE000use line\u2028sep'|100|bidioverride zerowidth privateuse line sep",
            "größe ✓ 漢字|100|größe ✓ 漢字",
            "größe|6|gr\u2026"})
    void oneRuleForUnsafeCharactersOneEllipsisAndBytesCounted(String text, int maxBytes, String expected) {
        String bounded = BoundedText.bounded(text.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t"), maxBytes);
        assertThat(bounded).isEqualTo(expected);
        assertThat(bytes(bounded)).isLessThanOrEqualTo(maxBytes);
    }

    @Test
    void neverSplitsASurrogatePair() {
        assertThat(BoundedText.bounded("ab\uD83D\uDE00cdef", 6)).isEqualTo("ab\u2026");
        assertThat(BoundedText.bounded("ab\uD83D\uDE00cdef", 9)).isEqualTo("ab\uD83D\uDE00\u2026");
    }

    @Test
    void quotesShortlyKeepingBlanks() {
        assertThat(BoundedText.quote("x")).isEqualTo("'x'");
        assertThat(BoundedText.quote("")).isEqualTo("''");
        assertThat(BoundedText.quote(" a\tb ")).isEqualTo("' a b '");
        String quoted = BoundedText.quote("y".repeat(500));
        assertThat(bytes(quoted)).isEqualTo(BoundedText.MAX_QUOTED_BYTES + 2);
        assertThat(quoted).endsWith("\u2026'");
    }
}
