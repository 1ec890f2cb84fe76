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
