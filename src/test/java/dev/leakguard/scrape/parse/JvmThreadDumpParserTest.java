package dev.leakguard.scrape.parse;

import static dev.leakguard.scrape.parse.ProfileFixtures.ACTUATOR_JSON_AFTER10;
import static dev.leakguard.scrape.parse.ProfileFixtures.ACTUATOR_JSON_AFTER300;
import static dev.leakguard.scrape.parse.ProfileFixtures.ACTUATOR_TEXT_AFTER10;
import static dev.leakguard.scrape.parse.ProfileFixtures.ACTUATOR_TEXT_AFTER300;
import static dev.leakguard.scrape.parse.ProfileFixtures.JCMD_AFTER10;
import static dev.leakguard.scrape.parse.ProfileFixtures.JCMD_AFTER300;
import static dev.leakguard.scrape.parse.ProfileFixtures.JSTACK_AFTER10;
import static dev.leakguard.scrape.parse.ProfileFixtures.JSTACK_AFTER300;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.profile.GroupCounts;
import dev.leakguard.profile.StackRecord;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class JvmThreadDumpParserTest {

    private static final String VIRTUAL_DUMP_LATER = "jvm/vthreadleak-jdk25-later.dump.txt";
    private static final Pattern LEAKED_POOL_THREAD = Pattern.compile("pool-\\d+-thread-1");

    @ParameterizedTest
    @CsvSource({
            JSTACK_AFTER10 + ", 55, 10",
            JSTACK_AFTER300 + ", 345, 300",
            JCMD_AFTER10 + ", 55, 10",
            JCMD_AFTER300 + ", 345, 300",
            ACTUATOR_TEXT_AFTER10 + ", 31, 10",
            ACTUATOR_TEXT_AFTER300 + ", 321, 300",
            ACTUATOR_JSON_AFTER10 + ", 31, 10",
            ACTUATOR_JSON_AFTER300 + ", 321, 300"})
    void realDumpsHaveEveryThreadAndOneLeakedPoolThreadPerRequest(String fixture, int threads, long leaked) throws Exception {
        List<StackRecord> records = ProfileFixtures.records(fixture);

        assertThat(records).hasSize(threads);
        assertThat(records.stream().filter(r -> LEAKED_POOL_THREAD.matcher(r.threadName()).matches()
                && r.state().startsWith("WAITING"))).hasSize((int) leaked);
    }

    @ParameterizedTest
    @CsvSource({JSTACK_AFTER10, JSTACK_AFTER300, JCMD_AFTER10, JCMD_AFTER300})
    void jstackJavaThreadsMatchTheThreadListTheJvmPrints(String fixture) throws Exception {
        Matcher smr = Pattern.compile("_java_thread_list=\\S+, length=(\\d+)").matcher(ProfileFixtures.text(fixture));
        assertThat(smr.find()).isTrue();

        List<StackRecord> records = ProfileFixtures.records(fixture);

        assertThat(records.stream().filter(r -> r.state() != null)).hasSize(Integer.parseInt(smr.group(1)));
        assertThat(records.stream().filter(r -> r.state() == null))
                .allSatisfy(vmThread -> assertThat(vmThread.frames()).isEmpty())
                .anySatisfy(vmThread -> assertThat(vmThread.threadName()).isEqualTo("VM Thread"));
    }

    @Test
    void jstackFramesAreClassAndMethodWithStateAsPrinted() throws Exception {
        StackRecord consumer = ProfileFixtures.records(JSTACK_AFTER300).stream()
                .filter(r -> r.threadName().equals("orders-consumer-1")).findFirst().orElseThrow();

        assertThat(consumer.state()).isEqualTo("TIMED_WAITING (sleeping)");
        assertThat(consumer.frames()).hasSize(5);
        assertThat(consumer.frames().subList(0, 3))
                .containsExactly("java.lang.Thread.sleep", "ThreadLeak.pollOrders", "ThreadLeak.consumeForever");
        assertThat(consumer.frames().get(3)).matches("ThreadLeak\\$\\$Lambda\\$\\d+/0x\\p{XDigit}+\\.run");
        assertThat(consumer.frames().get(4)).isEqualTo("java.lang.Thread.run");
    }

    /** Only the request thread that serves the dump differs: one calls textThreadDump, the other threadDump. */
    @Test
    void actuatorTextAndJsonOfTheSameProcessGiveTheSameGroups() throws Exception {
        assertThat(countsWithoutTheDumpingThread(ProfileFixtures.groups(ACTUATOR_TEXT_AFTER300)))
                .isEqualTo(countsWithoutTheDumpingThread(ProfileFixtures.groups(ACTUATOR_JSON_AFTER300)))
                .containsEntry("pool-N-thread-N | WAITING | jdk.internal.misc.Unsafe.park", 300L)
                .hasSize(13);
        assertThat(countsWithoutTheDumpingThread(ProfileFixtures.groups(ACTUATOR_TEXT_AFTER10)))
                .isEqualTo(countsWithoutTheDumpingThread(ProfileFixtures.groups(ACTUATOR_JSON_AFTER10)));
    }

    private static Map<String, Long> countsWithoutTheDumpingThread(GroupCounts groups) {
        Map<String, Long> counts = counts(groups);
        assertThat(counts.keySet().removeIf(key -> key.contains("ThreadDumpEndpoint"))).isTrue();
        return counts;
    }

    @Test
    void jstackAndJcmdOfTheSameProcessGiveTheSameGroups() throws Exception {
        assertThat(counts(ProfileFixtures.groups(JSTACK_AFTER300))).isEqualTo(counts(ProfileFixtures.groups(JCMD_AFTER300)));
    }

    @Test
    void actuatorFramesLoseModuleAndLoaderPrefixes() throws Exception {
        StackRecord finalizerFromText = ProfileFixtures.records(ACTUATOR_TEXT_AFTER10).stream()
                .filter(r -> r.threadName().equals("Finalizer")).findFirst().orElseThrow();
        StackRecord finalizerFromJson = ProfileFixtures.records(ACTUATOR_JSON_AFTER10).stream()
                .filter(r -> r.threadName().equals("Finalizer")).findFirst().orElseThrow();

        assertThat(finalizerFromText).isEqualTo(finalizerFromJson);
        assertThat(finalizerFromText.frames()).containsExactly("java.lang.Object.wait", "java.lang.ref.ReferenceQueue.remove",
                "java.lang.ref.ReferenceQueue.remove", "java.lang.ref.Finalizer$FinalizerThread.run");
        assertThat(finalizerFromText.state()).isEqualTo("WAITING");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "java.base@17.0.15/java.lang.Object.wait(Native Method)          | java.lang.Object.wait",
            "app//com.example.Shop.checkout(Shop.java:42)                    | com.example.Shop.checkout",
            "java.lang.Thread.run(java.base@17.0.15/Thread.java:840)         | java.lang.Thread.run",
            "ThreadLeak$$Lambda$242/0x00007fa99c154448.run(Unknown Source)   | ThreadLeak$$Lambda$242/0x00007fa99c154448.run",
            "app//capture.Leak$$Lambda/0x000001.run(Unknown Source)          | capture.Leak$$Lambda/0x000001.run",
            "custom-loader/my.module@1.0/org.example.Job.execute(Job.java:7) | org.example.Job.execute"})
    void frameNames(String frame, String function) {
        assertThat(JvmThreadDumpParser.frameFunction(frame.strip())).isEqualTo(function);
    }

    @Test
    void threadNamesMayContainQuotesAndSpaces() throws Exception {
        String dump = """
                Full thread dump OpenJDK 64-Bit Server VM (21.0.2+13 mixed mode):

                "worker "alpha" 1" #22 [4711] daemon prio=5 os_prio=0 cpu=1.00ms elapsed=2.00s tid=0x1 nid=4711 waiting on condition  [0x2]
                   java.lang.Thread.State: WAITING (parking)
                \tat jdk.internal.misc.Unsafe.park(java.base@21.0.2/Native Method)
                \t- parking to wait for  <0x3> (a java.util.concurrent.CountDownLatch$Sync)
                \tat com.example.Gate.await(Gate.java:9)

                "C2 CompilerThread0" #6 daemon prio=9 os_prio=0 cpu=5.00ms elapsed=2.00s tid=0x4 nid=4700 waiting on condition  [0x0]
                   java.lang.Thread.State: RUNNABLE
                   No compile task

                "GC Thread#0" os_prio=0 cpu=1.00ms elapsed=2.00s tid=0x5 nid=4699 runnable

                JNI global refs: 7, weak refs: 0

                """;

        assertThat(parse(dump)).containsExactly(
                new StackRecord("worker \"alpha\" 1", "WAITING (parking)",
                        List.of("jdk.internal.misc.Unsafe.park", "com.example.Gate.await"), null, 1),
                new StackRecord("C2 CompilerThread0", "RUNNABLE", List.of(), null, 1),
                new StackRecord("GC Thread#0", null, List.of(), null, 1));
    }

    @Test
    void jsonIgnoresUnknownFieldsAndKeepsThreadNamesWithLineBreaks() throws Exception {
        String dump = """
                  {"generatedBy":{"nested":[1,{"x":null}]},"threads":[
                    {"threadName":"two\\nlines","threadId":9,"extra":[[]],"threadState":"BLOCKED",
                     "stackTrace":[{"className":"com.example.A","methodName":"b","lineNumber":3,"nativeMethod":false}],
                     "lockInfo":{"className":"java.lang.Object","identityHashCode":1}}]}
                """;

        assertThat(parse(dump)).containsExactly(
                new StackRecord("two\nlines", "BLOCKED", List.of("com.example.A.b"), null, 1));
    }

    @Test
    void threadDumpToFileListsVirtualThreadsWithTheirState() throws Exception {
        List<StackRecord> records = ProfileFixtures.records(VIRTUAL_DUMP_LATER);

        List<StackRecord> listeners = records.stream().filter(r -> r.threadName().startsWith("price-listener-")).toList();
        assertThat(listeners).hasSize(occurrences(ProfileFixtures.text(VIRTUAL_DUMP_LATER), "\"price-listener-"))
                .allSatisfy(listener -> {
                    assertThat(listener.state()).isEqualTo("WAITING");
                    assertThat(listener.frames()).startsWith("java.lang.VirtualThread.park")
                            .contains("VirtualThreadLeak.lambda$handleRequest$0");
                });
        assertThat(records).anySatisfy(main -> assertThat(main.threadName()).isEqualTo("main"));
    }

    @Test
    void threadDumpToFileJsonReadsTheThreadsOfEveryContainer() throws Exception {
        String json = "jvm/vthreadleak-jdk25-later.dump.json";

        List<StackRecord> records = ProfileFixtures.records(json);

        assertThat(records.stream().filter(r -> r.threadName().startsWith("price-listener-")))
                .hasSize(occurrences(ProfileFixtures.text(json), "\"name\": \"price-listener-"))
                .allSatisfy(listener -> assertThat(listener.frames()).contains("VirtualThreadLeak.lambda$handleRequest$0"));
    }

    @Test
    void jdk21ThreadDumpToFileHasNoStateAndFramesWithoutAt() throws Exception {
        String dump = """
                4711
                2024-02-01T10:00:00.000000Z
                21.0.2+13-LTS

                #1 "main"
                      java.base/java.lang.Thread.sleep0(Native Method)
                      com.example.Main.main(Main.java:9)

                #27 "" virtual
                      java.base/java.lang.VirtualThread.park(VirtualThread.java:582)
                      com.example.Listener.run(Listener.java:12)

                """;

        assertThat(parse(dump)).containsExactly(
                new StackRecord("main", null, List.of("java.lang.Thread.sleep0", "com.example.Main.main"), null, 1),
                new StackRecord("", null, List.of("java.lang.VirtualThread.park", "com.example.Listener.run"), null, 1));
    }

    @Test
    void aCarrierThreadOfAVirtualThreadIsReadWithTheVirtualThreadsFrames() throws Exception {
        String jstack = "jvm/vthreadleak-jdk25-later.jstack.txt";
        assertThat(ProfileFixtures.text(jstack)).contains("Carrying virtual thread #");

        assertThat(ProfileFixtures.records(jstack)).anySatisfy(carrier -> {
            assertThat(carrier.threadName()).startsWith("ForkJoinPool-");
            assertThat(carrier.frames()).first().isEqualTo("jdk.internal.vm.Continuation.run");
        });
    }

    @Test
    void aThreadWhoseNameHoldsALineBreakIsSkippedAndCountedWhileTheRestIsKept() throws Exception {
        String dump = """
                Full thread dump OpenJDK 64-Bit Server VM (17.0.15+6 mixed mode):

                "main" #1 prio=5 os_prio=0 cpu=1.00ms elapsed=2.00s tid=0x1 nid=1 runnable  [0x2]
                   java.lang.Thread.State: RUNNABLE
                \tat com.example.Main.main(Main.java:9)

                "report
                nightly" #22 daemon prio=5 os_prio=0 cpu=1.00ms elapsed=2.00s tid=0x3 nid=22 waiting on condition  [0x4]
                   java.lang.Thread.State: TIMED_WAITING (sleeping)
                \tat java.lang.Thread.sleep(java.base@17.0.15/Native Method)

                "worker-1" #23 prio=5 os_prio=0 cpu=1.00ms elapsed=2.00s tid=0x5 nid=23 waiting on condition  [0x6]
                   java.lang.Thread.State: WAITING (parking)
                \tat jdk.internal.misc.Unsafe.park(java.base@17.0.15/Native Method)

                JNI global refs: 7, weak refs: 0
                """;
        List<StackRecord> records = new ArrayList<>();

        SkippedRecords skipped = JvmThreadDumpParser.parse(new ByteArrayInputStream(dump.getBytes(StandardCharsets.UTF_8)), 1 << 20, records::add);

        assertThat(records).extracting(StackRecord::threadName).containsExactly("main", "worker-1");
        assertThat(skipped.summary()).isEqualTo("skipped: 1 record (at line 7: thread name without a closing quote: \"\"report\")");
    }

    private static int occurrences(String text, String needle) {
        return (int) Pattern.compile(Pattern.quote(needle)).matcher(text).results().count();
    }

    static Stream<Arguments> brokenDumps() {
        String jstack = ProfileFixtures.text(JSTACK_AFTER10);
        String actuatorText = ProfileFixtures.text(ACTUATOR_TEXT_AFTER10);
        String json = ProfileFixtures.text(ACTUATOR_JSON_AFTER10);
        String jstackWithoutTrailer = jstack.substring(0, jstack.indexOf("JNI global refs"));
        String actuatorCutInABlock = actuatorText.substring(0, actuatorText.lastIndexOf("   Locked ownable synchronizers:"));
        String header = "Full thread dump OpenJDK:\n\n";
        return Stream.of(
                Arguments.of("empty", "", "not a JVM thread dump"),
                Arguments.of("html", "<html><body>502</body></html>\n", "not a JVM thread dump"),
                Arguments.of("go profile", ProfileFixtures.text(ProfileFixtures.GO_AFTER10_DEBUG1), "not a JVM thread dump"),
                Arguments.of("no threads", header, "has no threads"),
                Arguments.of("jstack cut mid-line", jstack.substring(0, 3000), "ends in the middle of a line"),
                Arguments.of("jstack cut between threads", jstackWithoutTrailer, "ends before its \"JNI global refs\" line"),
                Arguments.of("actuator text cut inside a thread", actuatorCutInABlock, "ends before its \"Locked ownable synchronizers:\" list"),
                Arguments.of("unclosed thread name", header + "\"main #1 prio=5\n", "line 3: thread name without a closing quote"),
                Arguments.of("garbage between threads", header + "\"main\" #1 prio=5\n   java.lang.Thread.State: RUNNABLE\nboom\n"
                        + "JNI global refs: 1\n", "line 5: unexpected line in the thread list: \"boom\" (1 of 1 threads unreadable)"),
                Arguments.of("mixed forms", header + "\"a\" #1 prio=5\n\n\"b\" - Thread t@2\n", "different dump form"),
                Arguments.of("frame without method", header + "\"a\" #1 prio=5\n\tat (Native Method)\nJNI global refs: 1\n",
                        "frame without a method name"),
                Arguments.of("thread dump_to_file cut inside a line", "1\n2026-12-02T19:05:59Z\n25\n\n#1 \"main\" RUNNABLE\n    at A.b(A.java:1)",
                        "ends in the middle of a line"),
                Arguments.of("thread dump_to_file json without containers", "{\"threadDump\":{\"processId\":\"1\"}}", "no \"threads\" array"),
                Arguments.of("thread dump_to_file json frame not a string", "{\"threadDump\":{\"threadContainers\":[{\"threads\":"
                        + "[{\"name\":\"a\",\"stack\":[7]}]}]}}", "\"stack\" must be a string"),
                Arguments.of("json cut", json.substring(0, 2000), "malformed JSON"),
                Arguments.of("json not an object array", "{\"threads\":{}}", "\"threads\" must be an array"),
                Arguments.of("json without threads", "{\"status\":\"UP\"}", "no \"threads\" array"),
                Arguments.of("json thread without name", "{\"threads\":[{\"threadState\":\"NEW\"}]}", "thread without a \"threadName\""),
                Arguments.of("json name not a string", "{\"threads\":[{\"threadName\":7}]}", "\"threadName\" must be a string"),
                Arguments.of("json frame without method", "{\"threads\":[{\"threadName\":\"a\",\"stackTrace\":[{\"className\":\"A\"}]}]}",
                        "stack frame without"),
                Arguments.of("json trailing content", "{\"threads\":[]} {}", "unexpected content after"),
                Arguments.of("json too deep", "{\"threads\":[], \"x\":" + "[".repeat(100) + "]".repeat(100) + "}", "malformed JSON"),
                Arguments.of("json huge string", "{\"threads\":[{\"threadName\":\"" + "a".repeat(100_000) + "\"}]}", "malformed JSON"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenDumps")
    void brokenDumpsFailWithTheProblem(String name, String dump, String expectedMessage) {
        assertThatThrownBy(() -> parse(dump))
                .isInstanceOf(ProfileParseException.class)
                .hasMessageContaining(expectedMessage);
    }

    @ParameterizedTest
    @CsvSource({ACTUATOR_JSON_AFTER300, JSTACK_AFTER300, ACTUATOR_TEXT_AFTER300})
    void aDumpLargerThanTheLimitFails(String fixture) {
        byte[] dump = ProfileFixtures.bytes(fixture);

        assertThatThrownBy(() -> JvmThreadDumpParser.parse(new ByteArrayInputStream(dump), 50_000, r -> { }))
                .isInstanceOf(ProfileParseException.class)
                .hasMessageContaining("larger than the limit of 50000 bytes");
    }

    private static Map<String, Long> counts(GroupCounts groups) {
        return groups.groups().stream().collect(Collectors.toMap(GroupCounts.Group::key, GroupCounts.Group::count));
    }

    private static List<StackRecord> parse(String dump) throws ProfileParseException {
        List<StackRecord> records = new ArrayList<>();
        JvmThreadDumpParser.parse(new ByteArrayInputStream(dump.getBytes(StandardCharsets.UTF_8)), 1 << 20, records::add);
        return records;
    }
}
