package dev.leakguard.profile;

import static dev.leakguard.scrape.parse.ProfileFixtures.ACTUATOR_JSON_AFTER10;
import static dev.leakguard.scrape.parse.ProfileFixtures.ACTUATOR_JSON_AFTER300;
import static dev.leakguard.scrape.parse.ProfileFixtures.ACTUATOR_TEXT_AFTER10;
import static dev.leakguard.scrape.parse.ProfileFixtures.ACTUATOR_TEXT_AFTER300;
import static dev.leakguard.scrape.parse.ProfileFixtures.GO_AFTER1000_DEBUG1;
import static dev.leakguard.scrape.parse.ProfileFixtures.GO_AFTER1000_DEBUG2;
import static dev.leakguard.scrape.parse.ProfileFixtures.GO_AFTER10_DEBUG1;
import static dev.leakguard.scrape.parse.ProfileFixtures.GO_AFTER10_DEBUG2;
import static dev.leakguard.scrape.parse.ProfileFixtures.JCMD_AFTER10;
import static dev.leakguard.scrape.parse.ProfileFixtures.JCMD_AFTER300;
import static dev.leakguard.scrape.parse.ProfileFixtures.JSTACK_AFTER10;
import static dev.leakguard.scrape.parse.ProfileFixtures.JSTACK_AFTER300;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.scrape.parse.ProfileFixtures;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GrowthRankingTest {

    private static final String REAPER = "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper";

    @Test
    void theRedisReaperLeadsTheRealGoProfilesAlthoughTheWorkersOutnumberedItAtBaseline() throws Exception {
        GroupCounts baseline = ProfileFixtures.groups(GO_AFTER10_DEBUG2);
        GroupCounts current = ProfileFixtures.groups(GO_AFTER1000_DEBUG2);
        assertThat(baseline.groups().get(0).description()).startsWith("main.queueWorker");

        List<GroupGrowth> ranked = GrowthRanking.rank(baseline, current, 5);

        // Besides the leak, only the HTTP server's per-connection goroutine of the capture request differs.
        assertThat(ranked).hasSize(2);
        assertThat(ranked.get(1).growth()).isEqualTo(1);
        assertThat(ranked.get(0).describe("goroutines")).isEqualTo("+990 goroutines " + REAPER
                + " (chan receive; created by gopkg.in/redis.v5/internal/pool.NewConnPool)");
    }

    @Test
    void debug1SnapshotsRankTheSameWayWithoutStateOrCreator() throws Exception {
        List<GroupGrowth> ranked = GrowthRanking.rank(
                ProfileFixtures.groups(GO_AFTER10_DEBUG1), ProfileFixtures.groups(GO_AFTER1000_DEBUG1), 5);

        assertThat(ranked).extracting(g -> g.describe("goroutines")).containsExactly("+990 goroutines " + REAPER);
    }

    /**
     * The issue this replays: under load, debug=1 answers hold records without frames, which once
     * made the baseline unreadable, so the Event listed sizes instead of growth. Both captures of
     * each pair come from one busy process and both hold such records (see the fixtures README).
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "go/redisleak-go1.26-leak-rps5.debug1.txt, go/redisleak-go1.26-leak-rps50.debug1.txt, ''",
            "go/redisleak-go1.19-leak-rps5.debug1.txt, go/redisleak-go1.19-leak-rps50.debug1.txt, ''",
            "go/redisleak-go1.26-leak-rps5.debug2.txt, go/redisleak-go1.26-leak-rps50.debug2.txt, "
                    + "' (chan receive; created by gopkg.in/redis.v5/internal/pool.NewConnPool)'",
            "go/redisleak-go1.19-leak-rps5.debug2.txt, go/redisleak-go1.19-leak-rps50.debug2.txt, "
                    + "' (chan receive; created by gopkg.in/redis.v5/internal/pool.NewConnPool)'"})
    void betweenTwoCapturesOfTheBusyLeakTheReaperLeadsAsGrowth(String baselineCapture, String currentCapture, String detail)
            throws Exception {
        GroupCounts baseline = ProfileFixtures.groups(baselineCapture);
        GroupCounts current = ProfileFixtures.groups(currentCapture);
        if (baselineCapture.endsWith(".debug1.txt")) {
            assertThat(baseline.count(Grouping.NO_FRAMES_KEY)).isPositive();
            assertThat(current.count(Grouping.NO_FRAMES_KEY)).isPositive();
        }
        long reapersAdded = reapersInTheText(currentCapture) - reapersInTheText(baselineCapture);
        assertThat(reapersAdded).isGreaterThan(500);

        List<GroupGrowth> ranked = GrowthRanking.rank(baseline, current, 5);

        assertThat(ranked.get(0).describe("goroutines")).isEqualTo("+" + reapersAdded + " goroutines " + REAPER + detail);
        assertThat(ranked).noneMatch(g -> g.key().equals(Grouping.NO_FRAMES_KEY));
    }

    /** Counted without the parser: debug=1 records whose top frame is the reaper, or debug=2 reaper frames. */
    private static long reapersInTheText(String capture) {
        String text = ProfileFixtures.text(capture);
        if (capture.endsWith(".debug2.txt")) {
            return Pattern.compile("^" + Pattern.quote(REAPER) + "\\(", Pattern.MULTILINE).matcher(text).results().count();
        }
        return Pattern.compile("^(\\d+) @[^\\n]*\\n#\\t0x\\p{XDigit}+\\t" + Pattern.quote(REAPER) + "\\+", Pattern.MULTILINE)
                .matcher(text).results().mapToLong(m -> Long.parseLong(m.group(1))).sum();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"go1.26, debug1", "go1.26, debug2", "go1.19, debug1", "go1.19, debug2"})
    void theFixedTwinUnderTheSameLoadShowsNoReaperGrowth(String go, String debug) throws Exception {
        List<GroupGrowth> ranked = GrowthRanking.rank(
                ProfileFixtures.groups("go/redisleak-" + go + "-fixed-rps20-first." + debug + ".txt"),
                ProfileFixtures.groups("go/redisleak-" + go + "-fixed-rps20-later." + debug + ".txt"), 5);

        assertThat(ranked).noneMatch(g -> g.key().contains("reaper") || g.key().equals(Grouping.NO_FRAMES_KEY))
                .allSatisfy(g -> assertThat(g.growth()).as(g.describe("goroutines")).isLessThan(10));
    }

    @Test
    void goroutinesWithoutFramesNeverRankEvenWhenTheyAreTheMostOrGrowTheMost() {
        GroupCounts baseline = GroupCounts.builder(10).add(Grouping.NO_FRAMES_KEY, "without frames", 1).add("leak", "leak", 2).build();
        GroupCounts current = GroupCounts.builder(10).add(Grouping.NO_FRAMES_KEY, "without frames", 90).add("leak", "leak", 3).build();

        assertThat(GrowthRanking.rank(baseline, current, 5)).extracting(GroupGrowth::key).containsExactly("leak");
        assertThat(GrowthRanking.rank(null, current, 5)).extracting(GroupGrowth::key).containsExactly("leak");
        assertThat(current.total()).isEqualTo(93);
    }

    @Test
    void theLeakedVirtualThreadsLeadTheThreadDumpToFileCaptures() throws Exception {
        String first = "jvm/vthreadleak-jdk25-first.dump.txt";
        String later = "jvm/vthreadleak-jdk25-later.dump.txt";
        long added = listenersInTheText(later) - listenersInTheText(first);

        List<GroupGrowth> ranked = GrowthRanking.rank(ProfileFixtures.groups(first), ProfileFixtures.groups(later), 3);

        assertThat(ranked.get(0).describe("threads"))
                .isEqualTo("+" + added + " threads price-listener-N (WAITING; at VirtualThreadLeak.lambda$handleRequest$0)");
    }

    private static long listenersInTheText(String capture) {
        return Pattern.compile("^#\\d+ \"price-listener-\\d+\" virtual", Pattern.MULTILINE).matcher(ProfileFixtures.text(capture)).results().count();
    }

    @ParameterizedTest
    @CsvSource({
            JSTACK_AFTER10 + ", " + JSTACK_AFTER300,
            JCMD_AFTER10 + ", " + JCMD_AFTER300,
            ACTUATOR_JSON_AFTER10 + ", " + ACTUATOR_JSON_AFTER300,
            ACTUATOR_TEXT_AFTER10 + ", " + ACTUATOR_TEXT_AFTER300})
    void theLeakedPoolThreadsLeadTheRealJvmDumps(String baselineFixture, String currentFixture) throws Exception {
        List<GroupGrowth> ranked = GrowthRanking.rank(
                ProfileFixtures.groups(baselineFixture), ProfileFixtures.groups(currentFixture), 3);

        assertThat(ranked.get(0).describe("threads"))
                .isEqualTo("+290 threads pool-N-thread-N (WAITING; at jdk.internal.misc.Unsafe.park)");
        assertThat(ranked).allSatisfy(g -> assertThat(g.growth()).isPositive());
    }

    /**
     * Dumps of one process under load with thread churn: the leaked pool threads lead. The count is
     * taken from the text; the newest pool thread may still be running its task (another group),
     * so the growth may fall short of it by one or two.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"threadleak-busy-rps20-%s.jstack.txt", "threadleak-busy-rps20-%s.jcmd.txt",
            "actuator-busy-rps20-%s.json", "actuator-busy-rps20-%s.txt"})
    void theLeakedPoolThreadsLeadTheDumpsOfABusyJvm(String pattern) throws Exception {
        String first = "jvm/" + pattern.formatted("first");
        String later = "jvm/" + pattern.formatted("later");
        long added = poolThreadsInTheText(later) - poolThreadsInTheText(first);

        GroupGrowth top = GrowthRanking.rank(ProfileFixtures.groups(first), ProfileFixtures.groups(later), 3).get(0);

        assertThat(top.description()).isEqualTo("pool-N-thread-N (WAITING; at jdk.internal.misc.Unsafe.park)");
        assertThat(top.growth()).isBetween(added - 2, added).isGreaterThan(100);
    }

    private static long poolThreadsInTheText(String capture) {
        return Pattern.compile("(^|\"threadName\":)\"pool-\\d+-thread-1\"", Pattern.MULTILINE)
                .matcher(ProfileFixtures.text(capture)).results().count();
    }

    @Test
    void inTheJstackBaselineTheRequestPoolWasTheBiggestGroup() throws Exception {
        GroupCounts baseline = ProfileFixtures.groups(JSTACK_AFTER10);

        assertThat(baseline.groups().get(0).description()).startsWith("http-nio-N-exec-N");
        assertThat(GrowthRanking.rank(null, baseline, 1).get(0).describe("threads"))
                .isEqualTo("20 threads http-nio-N-exec-N (WAITING; at jdk.internal.misc.Unsafe.park)");
    }

    @Test
    void aBigStableGroupDoesNotOutrankASmallGrowingOne() {
        GroupCounts baseline = GroupCounts.builder(100)
                .add("conn", "net/http.(*conn).serve (IO wait)", 5000)
                .add("leak", "example.com/cache.(*Cache).janitor (select)", 3)
                .add("gone", "example.com/batch.run (chan send)", 40)
                .build();
        GroupCounts current = GroupCounts.builder(100)
                .add("conn", "net/http.(*conn).serve (IO wait)", 5004)
                .add("leak", "example.com/cache.(*Cache).janitor (select)", 60)
                .add("new", "example.com/ws.(*Hub).run (select)", 2)
                .build();

        assertThat(GrowthRanking.rank(baseline, current, 10)).containsExactly(
                new GroupGrowth("leak", "example.com/cache.(*Cache).janitor (select)", 3, 60),
                new GroupGrowth("conn", "net/http.(*conn).serve (IO wait)", 5000, 5004),
                new GroupGrowth("new", "example.com/ws.(*Hub).run (select)", 0, 2));
    }

    @Test
    void withoutABaselineTheLargestGroupsComeFirst() {
        GroupCounts current = GroupCounts.builder(100).add("a", "a", 5).add("b", "b", 50).add("c", "c", 7).build();

        List<GroupGrowth> ranked = GrowthRanking.rank(null, current, 2);

        assertThat(ranked).containsExactly(new GroupGrowth("b", "b", 0, 50, false), new GroupGrowth("c", "c", 0, 7, false));
        assertThat(ranked.get(0).describe("goroutines")).isEqualTo("50 goroutines b");
    }

    @Test
    void equalGrowthGoesToTheLargerGroupThenToTheKey() {
        GroupCounts baseline = GroupCounts.builder(100).add("x", "x", 10).add("y", "y", 0).add("z", "z", 0).build();
        GroupCounts current = GroupCounts.builder(100).add("x", "x", 15).add("z", "z", 5).add("y", "y", 5).build();

        assertThat(GrowthRanking.rank(baseline, current, 3)).extracting(GroupGrowth::key).containsExactly("x", "y", "z");
    }

    @Test
    void nothingGrewMeansNothingToName() {
        GroupCounts same = GroupCounts.builder(100).add("a", "a", 5).build();

        assertThat(GrowthRanking.rank(same, same, 5)).isEmpty();
        assertThat(GrowthRanking.rank(same, same, 0)).isEmpty();
        assertThat(GrowthRanking.rank(null, same, 0)).isEmpty();
    }
}
