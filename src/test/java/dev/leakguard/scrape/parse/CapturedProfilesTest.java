package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.StackRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Every capture under {@code src/test/resources/fixtures/profiles} — found by listing the folder,
 * so a new capture is covered without naming it — goes through both parsers: its own parser
 * reads every goroutine or thread the text holds and skips none (real runtimes print nothing a
 * parser may skip), the other parser refuses it cleanly. The expected totals are counted from
 * the text without the parsers.
 */
class CapturedProfilesTest {

    private static final Pattern DEBUG1_TOTAL = Pattern.compile("^goroutine profile: total (\\d+)$", Pattern.MULTILINE);
    private static final Pattern DEBUG2_GOROUTINE = Pattern.compile("^goroutine \\d+ ", Pattern.MULTILINE);
    private static final Pattern DUMP_TO_FILE_THREAD = Pattern.compile("^#\\d+ \"", Pattern.MULTILINE);
    private static final Pattern DUMP_TO_FILE_JSON_COUNT = Pattern.compile("\"threadCount\": \"(\\d+)\"");
    private static final Pattern ACTUATOR_JSON_THREAD = Pattern.compile("\"threadName\":");
    private static final Pattern QUOTED_THREAD_HEADER = Pattern.compile("^\"", Pattern.MULTILINE);

    static final List<String> CAPTURES = ProfileFixtures.ALL;

    @ParameterizedTest(name = "{0}")
    @FieldSource("CAPTURES")
    void itsParserReadsEveryGoroutineOrThreadAndSkipsNone(String capture) throws Exception {
        List<StackRecord> records = new ArrayList<>();

        SkippedRecords skipped = ProfileFixtures.parse(ProfileFixtures.typeOf(capture), ProfileFixtures.bytes(capture), records::add);

        assertThat(skipped).isEqualTo(SkippedRecords.NONE);
        assertThat(records.stream().mapToLong(StackRecord::count).sum())
                .isEqualTo(countedFromTheText(capture, ProfileFixtures.text(capture)))
                .isPositive();
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("CAPTURES")
    void theOtherParserRefusesItCleanly(String capture) {
        ProfileType other = ProfileFixtures.typeOf(capture) == ProfileType.go ? ProfileType.jvm : ProfileType.go;

        assertThatThrownBy(() -> ProfileFixtures.parse(other, ProfileFixtures.bytes(capture), record -> { }))
                .isInstanceOf(ProfileParseException.class);
    }

    /** The folder holds what the README promises: busy Go captures with frameless records, JVM dumps with virtual threads. */
    @Test
    void theCapturesIncludeFramelessGoroutinesAndVirtualThreads() {
        assertThat(CAPTURES.stream().filter(name -> name.endsWith(".debug1.txt") && hasFramelessDebug1Record(ProfileFixtures.text(name))))
                .contains("go/redisleak-go1.26-leak-rps20.debug1.txt", "go/redisleak-go1.19-leak-rps50.debug1.txt");
        assertThat(CAPTURES).anyMatch(name -> ProfileFixtures.text(name).contains("Carrying virtual thread #"))
                .anyMatch(name -> name.endsWith(".dump.txt"))
                .anyMatch(name -> name.endsWith(".dump.json"));
    }

    static boolean hasFramelessDebug1Record(String text) {
        return Pattern.compile("^\\d+ @ 0x[0-9a-f]+( 0x[0-9a-f]+)*\\n\\n", Pattern.MULTILINE).matcher(text).find();
    }

    private static long countedFromTheText(String capture, String text) {
        Matcher total = DEBUG1_TOTAL.matcher(text);
        if (total.find()) {
            return Long.parseLong(total.group(1));
        }
        if (capture.endsWith(".debug2.txt")) {
            return DEBUG2_GOROUTINE.matcher(text).results().count();
        }
        if (capture.endsWith(".dump.txt")) {
            return DUMP_TO_FILE_THREAD.matcher(text).results().count();
        }
        if (capture.endsWith(".dump.json")) {
            return DUMP_TO_FILE_JSON_COUNT.matcher(text).results().mapToLong(m -> Long.parseLong(m.group(1))).sum();
        }
        if (capture.endsWith(".json")) {
            return ACTUATOR_JSON_THREAD.matcher(text).results().count();
        }
        return QUOTED_THREAD_HEADER.matcher(text).results().count();
    }
}
