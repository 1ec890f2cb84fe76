package dev.leakguard.scrape.parse;

import static dev.leakguard.scrape.parse.ProfileFixtures.GO_AFTER1000_DEBUG1;
import static dev.leakguard.scrape.parse.ProfileFixtures.GO_AFTER1000_DEBUG2;
import static dev.leakguard.scrape.parse.ProfileFixtures.GO_AFTER10_DEBUG1;
import static dev.leakguard.scrape.parse.ProfileFixtures.GO_AFTER10_DEBUG2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.profile.StackRecord;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class GoroutineProfileParserTest {

    private static final String REAPER = "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper";
    private static final String NEW_CONN_POOL = "gopkg.in/redis.v5/internal/pool.NewConnPool";

    @ParameterizedTest
    @CsvSource({
            GO_AFTER10_DEBUG1 + ", 63, 10",
            GO_AFTER1000_DEBUG1 + ", 1053, 1000",
            GO_AFTER10_DEBUG2 + ", 63, 10",
            GO_AFTER1000_DEBUG2 + ", 1053, 1000"})
    void realProfilesCountEveryGoroutineAndOneReaperPerRequest(String fixture, long goroutines, long reapers)
            throws Exception {
        List<StackRecord> records = ProfileFixtures.records(fixture);

        assertThat(records.stream().mapToLong(StackRecord::count).sum()).isEqualTo(goroutines);
        assertThat(goroutinesInTheProfileText(fixture)).isEqualTo(goroutines);
        assertThat(records.stream().filter(r -> r.frames().get(0).equals(REAPER)).mapToLong(StackRecord::count).sum())
                .isEqualTo(reapers);
    }

    /** The header's total for debug=1, the number of blocks for debug=2 — counted without the parser. */
    private static long goroutinesInTheProfileText(String fixture) {
        String text = ProfileFixtures.text(fixture);
        Matcher total = Pattern.compile("^goroutine profile: total (\\d+)$", Pattern.MULTILINE).matcher(text);
        if (total.find()) {
            return Long.parseLong(total.group(1));
        }
        return Pattern.compile("^goroutine \\d+ \\[", Pattern.MULTILINE).matcher(text).results().count();
    }

    @Test
    void debug1RecordsCarryCountsAndFramesButNoStateOrCreator() throws Exception {
        List<StackRecord> records = ProfileFixtures.records(GO_AFTER1000_DEBUG1);

        StackRecord reapers = records.get(0);
        assertThat(reapers).isEqualTo(new StackRecord(null, null, List.of(REAPER), null, 1000));
        StackRecord workers = records.get(1);
        assertThat(workers.count()).isEqualTo(50);
        assertThat(workers.frames()).containsExactly("main.queueWorker", "main.main.func1", "runtime/pprof.Do");
    }

    @Test
    void debug2RecordsCarryStateAndCreatorPerGoroutine() throws Exception {
        List<StackRecord> records = ProfileFixtures.records(GO_AFTER1000_DEBUG2);

        StackRecord reaper = records.stream().filter(r -> r.frames().get(0).equals(REAPER)).findFirst().orElseThrow();
        assertThat(reaper).isEqualTo(new StackRecord(null, "chan receive", List.of(REAPER), NEW_CONN_POOL, 1));
        StackRecord worker = records.stream().filter(r -> r.frames().get(0).equals("main.queueWorker")).findFirst().orElseThrow();
        assertThat(worker.state()).isEqualTo("chan receive, 1 minutes");
        assertThat(worker.createdBy()).isEqualTo("main.main");
        assertThat(records).allSatisfy(r -> assertThat(r.count()).isEqualTo(1));
    }

    @Test
    void debug2ReadsTheNewCreatedByFormElidedFramesAndHeaderExtras() throws Exception {
        String profile = """
                goroutine 7 gp=0xc000007c00 m=nil [select, 12 minutes]:
                runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
                \t/usr/lib/go/src/runtime/proc.go:402 +0xce
                example.com/app/cache.(*Cache).janitor(0xc0000a2000)
                \t/src/app/cache/cache.go:88 +0x125
                ...additional frames elided...
                created by example.com/app/cache.New in goroutine 1
                \t/src/app/cache/cache.go:40 +0x1a5

                goroutine 9 [running]:
                main.main()
                \t/src/app/main.go:10 +0x1d
                """;

        assertThat(parse(profile)).containsExactly(
                new StackRecord(null, "select, 12 minutes",
                        List.of("runtime.gopark", "example.com/app/cache.(*Cache).janitor"), "example.com/app/cache.New", 1),
                new StackRecord(null, "running", List.of("main.main"), null, 1));
    }

    @Test
    void debug1ReadsUnsymbolisedFramesLabelsAndCrLf() throws Exception {
        String profile = "goroutine profile: total 3\r\n"
                + "2 @ 0x43b296 0x46b221\r\n"
                + "# labels: {\"tenant\":\"a\"}\r\n"
                + "#\t0x4a6b21\r\n"
                + "\r\n"
                + "1 @ 0x43b296\r\n"
                + "#\t0x677aba\tmain.loop+0x9a\t\t\tmain.go:3\r\n"
                + "\r\n";

        assertThat(parse(profile)).containsExactly(
                new StackRecord(null, null, List.of("0x4a6b21"), null, 2),
                new StackRecord(null, null, List.of("main.loop"), null, 1));
    }

    @Test
    void keepsAtMostTheFrameCapPerStack() throws Exception {
        StringBuilder profile = new StringBuilder("goroutine 1 [running]:\n");
        for (int i = 0; i < 1000; i++) {
            profile.append("main.recurse(0x1)\n\tmain.go:5 +0x1\n");
        }

        assertThat(parse(profile.toString())).singleElement()
                .satisfies(r -> assertThat(r.frames()).hasSize(ProfileLimits.MAX_FRAMES_KEPT));
    }

    @Test
    void aFramelessRecordFromABusyProgramIsKeptAndCountsTowardsTheTotal() throws Exception {
        String capture = "go/redisleak-go1.26-leak-rps20.debug1.txt";
        assertThat(ProfileFixtures.text(capture)).containsPattern("(?m)^1 @ 0x[0-9a-f]+\\n\\n");

        List<StackRecord> records = ProfileFixtures.records(capture);

        assertThat(records).filteredOn(r -> r.frames().isEmpty()).isNotEmpty()
                .allSatisfy(r -> assertThat(r).isEqualTo(new StackRecord(null, null, List.of(), null, r.count())));
        assertThat(records.stream().mapToLong(StackRecord::count).sum()).isEqualTo(goroutinesInTheProfileText(capture));
    }

    @Test
    void debug1FramelessRecordsCountTowardsTheHeadersTotal() throws Exception {
        String profile = """
                goroutine profile: total 4
                2 @ 0x43b296 0x46d001
                #\t0x43b295\tmain.loop+0x9a\t\tmain.go:3

                1 @ 0x46d001

                1 @ 0x46d001
                """;

        assertThat(parse(profile)).containsExactly(
                new StackRecord(null, null, List.of("main.loop"), null, 2),
                new StackRecord(null, null, List.of(), null, 1),
                new StackRecord(null, null, List.of(), null, 1));
    }

    static Stream<Arguments> whatRuntimesPrintInDebug2() {
        return Stream.of(
                Arguments.of("a goroutine running on another thread prints no stack", """
                        goroutine 12 [running]:
                        \tgoroutine running on other thread; stack unavailable
                        created by net/http.(*Server).Serve in goroutine 1
                        \t/usr/lib/go/src/net/http/server.go:3285 +0x4b4
                        """, List.of(new StackRecord(null, "running", List.of(), "net/http.(*Server).Serve", 1))),
                Arguments.of("a goroutine header followed directly by its creator", """
                        goroutine 13 [runnable]:
                        created by main.serve in goroutine 1
                        \t/src/main.go:9 +0x1d
                        """, List.of(new StackRecord(null, "runnable", List.of(), "main.serve", 1))),
                Arguments.of("Go 1.26 tracebacklabels put labels inside the brackets", """
                        goroutine 9 [chan receive, 2 minutes, locked to thread labels:{"role": "queue-worker", "x": "]"}]:
                        main.queueWorker(0xc0000a2000)
                        \t/src/main.go:112 +0xbc
                        """, List.of(new StackRecord(null, "chan receive, 2 minutes, locked to thread", List.of("main.queueWorker"), null, 1))),
                Arguments.of("Go 1.21+ elides the middle of a deep stack with a count", """
                        goroutine 5 [chan receive]:
                        main.walkTree(0x1?, 0x7a37c8?)
                        \t/src/main.go:130 +0x25
                        ...50 frames elided...
                        main.walkTree(...)
                        \t/src/main.go:128
                        created by main.main in goroutine 1
                        \t/src/main.go:60 +0x3d
                        """, List.of(new StackRecord(null, "chan receive", List.of("main.walkTree", "main.walkTree"), "main.main", 1))),
                Arguments.of("GODEBUG=tracebackancestors sections describe other goroutines", """
                        goroutine 21 [select]:
                        main.worker()
                        \t/src/main.go:20 +0x1
                        created by main.start in goroutine 7
                        \t/src/main.go:10 +0x2
                        [originating from goroutine 7]:
                        main.start(...)
                        \t/src/main.go:10 +0x2
                        ...additional frames elided...
                        created by main.main
                        \t/src/main.go:5 +0x3

                        goroutine 22 [runnable]:
                        main.other()
                        \t/src/main.go:30
                        """, List.of(new StackRecord(null, "select", List.of("main.worker"), "main.start", 1),
                        new StackRecord(null, "runnable", List.of("main.other"), null, 1))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("whatRuntimesPrintInDebug2")
    void debug2ReadsWhatRuntimesPrint(String name, String profile, List<StackRecord> expected) throws Exception {
        assertThat(parse(profile)).containsExactlyElementsOf(expected);
    }

    @Test
    void anUnreadableGoroutineIsSkippedAndCountedWhileTheRestIsKept() throws Exception {
        String profile = """
                goroutine 1 [running]:
                main.main()
                \t/src/main.go:10 +0x1d

                goroutine 2 [chan receive]:
                runtime: g 2: unexpected return pc for main.f called from 0x0
                stack: frame={sp:0xc000050f80, fp:0xc000050f88} stack=[0xc000050000,0xc000051000)
                main.f()
                \t/src/main.go:20 +0x2

                goroutine 3 [select]:
                main.g()
                \t/src/main.go:30 +0x3
                """;
        List<StackRecord> records = new ArrayList<>();

        SkippedRecords skipped = GoroutineProfileParser.parse(new ByteArrayInputStream(profile.getBytes(StandardCharsets.UTF_8)),
                1 << 20, records::add);

        assertThat(records).extracting(r -> r.frames().get(0)).containsExactly("main.main", "main.g");
        assertThat(skipped.count()).isEqualTo(1);
        assertThat(skipped.summary()).isEqualTo("skipped: 1 record (at line 6: expected a frame \"function(args)\": "
                + "\"runtime: g 2: unexpected return pc for main.f called from 0x0\")");
    }

    static Stream<Arguments> brokenProfiles() {
        String debug1 = ProfileFixtures.text(GO_AFTER10_DEBUG1);
        String debug2 = ProfileFixtures.text(GO_AFTER10_DEBUG2);
        String lastRecordCut = debug1.substring(0, debug1.lastIndexOf("\n1 @") + 1);
        return Stream.of(
                Arguments.of("empty", "", "empty"),
                Arguments.of("only blank lines", "\n\n  \n", "empty"),
                Arguments.of("not a profile", "<html>502 Bad Gateway</html>\n", "line 1: not a goroutine profile"),
                Arguments.of("heap profile", "heap profile: 1: 2 [3: 4] @ heap/1048576\n", "not a goroutine profile"),
                Arguments.of("debug=1 cut mid-line", debug1.substring(0, 500), "ends in the middle of a line"),
                Arguments.of("debug=1 cut after a whole record", lastRecordCut, "add up to 62 goroutines but the header says 63"),
                Arguments.of("debug=1 frameless record beyond the total", "goroutine profile: total 2\n2 @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n\n1 @ 0x46d001\n\n",
                        "line 5: the records count more goroutines than the header's total of 2"),
                Arguments.of("debug=1 frameless records short of the total", "goroutine profile: total 3\n1 @ 0x46d001\n\n1 @ 0x46d001\n\n",
                        "the records add up to 2 goroutines but the header says 3"),
                Arguments.of("debug=1 counts above the total", "goroutine profile: total 1\n2 @ 0x1\n#\t0x1\tf+0x1\tf.go:1\n",
                        "more goroutines than the header's total of 1"),
                Arguments.of("debug=1 zero count", "goroutine profile: total 1\n0 @ 0x1\n", "at least one goroutine"),
                Arguments.of("debug=1 bad total", "goroutine profile: total many\n", "line 1: expected a goroutine count"),
                Arguments.of("debug=1 frame before any record", "goroutine profile: total 1\n#\t0x1\tf+0x1\tf.go:1\n",
                        "line 2: frame or label line outside a record"),
                Arguments.of("debug=1 garbage record header", "goroutine profile: total 1\nhello\n", "line 2: expected a record header"),
                Arguments.of("debug=1 bad address", "goroutine profile: total 1\n1 @ 0xzz\n", "malformed address"),
                Arguments.of("debug=1 bad frame address", "goroutine profile: total 1\n1 @ 0x1\n#\tzz\tf+0x1\n", "malformed frame address"),
                Arguments.of("debug=2 cut mid-line", debug2.substring(0, 700), "ends in the middle of a line"),
                Arguments.of("debug=2 cut before a file line", "goroutine 1 [running]:\nmain.main()\n",
                        "ends before a frame's file line"),
                Arguments.of("debug=2 mostly unreadable", "goroutine 1 [running]:\nmain.f()\n\tf.go:1\n\ngoroutine 2 [running]:\nnonsense\n\n"
                        + "goroutine 3 [running]:\n\tstray\n", "line 6: expected a frame \"function(args)\": \"nonsense\" (2 of 3 goroutines unreadable)"),
                Arguments.of("debug=2 bad header", "goroutine one [running]:\n", "line 1: expected \"goroutine N [state]:\""),
                Arguments.of("debug=2 frame without args", "goroutine 1 [running]:\nmain.main\n", "line 2: expected a frame"),
                Arguments.of("debug=2 file line expected", "goroutine 1 [running]:\nmain.main()\nmain.f()\n", "line 3: expected the"),
                Arguments.of("debug=2 stray file line", "goroutine 1 [running]:\n\tmain.go:1\n", "file line without a function line"),
                Arguments.of("debug=2 line after created by", "goroutine 1 [running]:\nmain.f()\n\tf.go:1\ncreated by main.main\n\tm.go:1\nmain.g()\n",
                        "unexpected line after \"created by\""),
                Arguments.of("debug=2 text between blocks", "goroutine 1 [running]:\nmain.f()\n\tf.go:1\n\nhello()\n", "expected \"goroutine N"),
                Arguments.of("line too long", "goroutine 1 [running]:\n" + "x".repeat(ProfileLimits.MAX_LINE_BYTES + 10) + "()\n",
                        "line 2: line is longer than 65536 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenProfiles")
    void brokenProfilesFailWithTheLineAndTheProblem(String name, String profile, String expectedMessage) {
        assertThatThrownBy(() -> parse(profile))
                .isInstanceOf(ProfileParseException.class)
                .hasMessageContaining(expectedMessage);
    }

    @Test
    void errorMessagesQuoteTheOffendingLineWithoutControlCharactersAndBounded() {
        String evil = "\u001b[31mred\u0007" + "y".repeat(5000) + "\n";

        assertThatThrownBy(() -> parse(evil))
                .isInstanceOf(ProfileParseException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContainPattern("\\p{Cntrl}").contains("red").hasSizeLessThan(400);
                    assertThat(((ProfileParseException) e).line()).isEqualTo(1);
                });
    }

    @Test
    void aProfileLargerThanTheLimitFails() {
        byte[] profile = ProfileFixtures.bytes(GO_AFTER1000_DEBUG2);

        assertThatThrownBy(() -> GoroutineProfileParser.parse(new ByteArrayInputStream(profile), 100_000, r -> { }))
                .isInstanceOf(ProfileParseException.class)
                .hasMessageContaining("larger than the limit of 100000 bytes");
    }

    @Test
    void aProfileOfExactlyTheLimitPasses() throws Exception {
        byte[] profile = ProfileFixtures.bytes(GO_AFTER10_DEBUG2);
        List<StackRecord> records = new ArrayList<>();

        GoroutineProfileParser.parse(new ByteArrayInputStream(profile), profile.length, records::add);

        assertThat(records).hasSize(63);
    }

    @Test
    void aFailingStreamBecomesAParseError() {
        InputStream failing = new InputStream() {
            private int served;

            @Override
            public int read() throws IOException {
                if (served < "goroutine profile: total 1\n".length()) {
                    return "goroutine profile: total 1\n".charAt(served++);
                }
                throw new IOException("connection reset");
            }
        };

        assertThatThrownBy(() -> GoroutineProfileParser.parse(failing, 1 << 20, r -> { }))
                .isInstanceOf(ProfileParseException.class)
                .hasMessageContaining("reading the profile failed")
                .hasMessageContaining("connection reset");
    }

    private static List<StackRecord> parse(String profile) throws ProfileParseException {
        List<StackRecord> records = new ArrayList<>();
        GoroutineProfileParser.parse(new ByteArrayInputStream(profile.getBytes(StandardCharsets.UTF_8)), 1 << 20, records::add);
        return records;
    }
}
