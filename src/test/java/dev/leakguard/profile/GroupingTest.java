package dev.leakguard.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.policy.ProfileType;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class GroupingTest {

    static Stream<Arguments> goLabels() {
        return Stream.of(
                Arguments.of("redis reaper from debug=2",
                        go("chan receive", "gopkg.in/redis.v5/internal/pool.NewConnPool", "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper"),
                        "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper | chan receive | gopkg.in/redis.v5/internal/pool.NewConnPool",
                        "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper (chan receive; created by gopkg.in/redis.v5/internal/pool.NewConnPool)"),
                Arguments.of("debug=1 has neither state nor creator",
                        go(null, null, "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper"),
                        "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper | - | -",
                        "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper"),
                Arguments.of("minutes and thread locking are not part of the state",
                        go("chan receive, 12 minutes, locked to thread", "main.main", "main.worker"),
                        "main.worker | chan receive | main.main", "main.worker (chan receive; created by main.main)"),
                Arguments.of("runtime frames are skipped (GOTRACEBACK=system)",
                        go("select", "main.main", "runtime.gopark", "runtime.selectgo", "main.loop"),
                        "main.loop | select | main.main", "main.loop (select; created by main.main)"),
                Arguments.of("socket waits group by the code that reads",
                        go("IO wait", "net/http.(*Server).Serve", "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait",
                                "internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "bufio.(*Reader).fill",
                                "net/http.(*conn).serve"),
                        "net/http.(*conn).serve | IO wait | net/http.(*Server).Serve",
                        "net/http.(*conn).serve (IO wait; created by net/http.(*Server).Serve)"),
                Arguments.of("sync, time and io waits are skipped too",
                        go("semacquire", null, "sync.runtime_Semacquire", "sync.(*WaitGroup).Wait", "time.Sleep", "io.ReadFull",
                                "example.com/batch.(*Runner).Wait"),
                        "example.com/batch.(*Runner).Wait | semacquire | -", "example.com/batch.(*Runner).Wait (semacquire)"),
                Arguments.of("runtime/pprof is not the runtime",
                        go("running", null, "runtime/pprof.writeGoroutineStacks"),
                        "runtime/pprof.writeGoroutineStacks | running | -", "runtime/pprof.writeGoroutineStacks (running)"),
                Arguments.of("only runtime frames: the top one",
                        go("GC worker (idle)", "runtime.gcBgMarkStartWorkers", "runtime.gopark", "runtime.gcBgMarkWorker"),
                        "runtime.gopark | GC worker (idle) | runtime.gcBgMarkStartWorkers",
                        "runtime.gopark (GC worker (idle); created by runtime.gcBgMarkStartWorkers)"),
                Arguments.of("no frames: one group whatever the state and creator",
                        go("running", "net/http.(*Server).Serve"), Grouping.NO_FRAMES_KEY,
                        "goroutines without frames (starting, exiting or running elsewhere)"),
                Arguments.of("no frames in debug=1 (only runtime.goexit): the same group",
                        go(null, null), Grouping.NO_FRAMES_KEY, "goroutines without frames (starting, exiting or running elsewhere)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goLabels")
    void goKeysAndDescriptions(String name, StackRecord record, String key, String description) {
        assertThat(Grouping.label(ProfileType.go, record)).isEqualTo(new Grouping.GroupLabel(key, description));
    }

    static Stream<Arguments> jvmLabels() {
        return Stream.of(
                Arguments.of("leaked executor thread: all JDK frames, so the top one",
                        jvm("pool-17-thread-1", "WAITING (parking)", "jdk.internal.misc.Unsafe.park",
                                "java.util.concurrent.locks.LockSupport.park", "java.lang.Thread.run"),
                        "pool-N-thread-N | WAITING | jdk.internal.misc.Unsafe.park",
                        "pool-N-thread-N (WAITING; at jdk.internal.misc.Unsafe.park)"),
                Arguments.of("Tomcat request thread: the top three application frames",
                        jvm("http-nio-8080-exec-12", "WAITING (parking)", "jdk.internal.misc.Unsafe.park",
                                "org.apache.tomcat.util.threads.TaskQueue.take", "org.apache.tomcat.util.threads.ThreadPoolExecutor.getTask",
                                "org.apache.tomcat.util.threads.ThreadPoolExecutor.runWorker", "org.apache.tomcat.util.threads.TaskThread.run"),
                        "http-nio-N-exec-N | WAITING | org.apache.tomcat.util.threads.TaskQueue.take"
                                + " < org.apache.tomcat.util.threads.ThreadPoolExecutor.getTask < org.apache.tomcat.util.threads.ThreadPoolExecutor.runWorker",
                        "http-nio-N-exec-N (WAITING; at org.apache.tomcat.util.threads.TaskQueue.take)"),
                Arguments.of("lambda serials and hidden-class addresses are dropped",
                        jvm("orders-consumer-3", "TIMED_WAITING (sleeping)", "java.lang.Thread.sleep", "Shop.poll",
                                "Shop$$Lambda$242/0x00007fa99c154448.run", "com.sun.proxy.$Proxy12.call"),
                        "orders-consumer-N | TIMED_WAITING | Shop.poll < Shop$$Lambda.run",
                        "orders-consumer-N (TIMED_WAITING; at Shop.poll)"),
                Arguments.of("an unnamed virtual thread (Thread.dump_to_file prints \"\")",
                        jvm("", "WAITING", "java.lang.VirtualThread.park", "com.example.Listener.run"),
                        "(unnamed) | WAITING | com.example.Listener.run", "(unnamed) (WAITING; at com.example.Listener.run)"),
                Arguments.of("VM thread without state or frames",
                        jvm("GC Thread#3", null), "GC Thread#N | - | -", "GC Thread#N"),
                Arguments.of("a thread named like the overflow bucket is still an ordinary group",
                        jvm("(other groups)", null), "(other groups) | - | -", "(other groups)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jvmLabels")
    void jvmKeysAndDescriptions(String name, StackRecord record, String key, String description) {
        assertThat(Grouping.label(ProfileType.jvm, record)).isEqualTo(new Grouping.GroupLabel(key, description));
    }

    @ParameterizedTest
    @CsvSource({
            "pool-3-thread-17, pool-N-thread-N",
            "http-nio-8080-exec-12, http-nio-N-exec-N",
            "http-nio-127.0.0.1-41891-exec-1, http-nio-N.N.N.N-N-exec-N",
            "main, main",
            "'', ''",
            "worker0042x, workerNx"})
    void digitRunsBecomeN(String name, String pattern) {
        assertThat(Grouping.digitRunsToN(name)).isEqualTo(pattern);
    }

    @ParameterizedTest
    @CsvSource({
            "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper, gopkg.in/redis.v5/internal/pool",
            "main.main.func1, main",
            "runtime/internal/atomic.Load, runtime/internal/atomic",
            "example.com/x.Map[...].Get, example.com/x",
            "example.com/x.F[go.shape.*example.com/y.T], example.com/x",
            "0x4a6b21, 0x4a6b21",
            "'', ''"})
    void goPackageOfAFunction(String function, String pkg) {
        assertThat(Grouping.goPackage(function)).isEqualTo(pkg);
    }

    @Test
    void groupsCountRecordsAndTheirMultiplicity() {
        GroupCounts counts = Grouping.group(ProfileType.go, List.of(
                go("chan receive", "main.main", "main.worker"),
                go("chan receive, 3 minutes", "main.main", "main.worker"),
                new StackRecord(null, null, List.of("main.idle"), null, 40)));

        assertThat(counts.total()).isEqualTo(42);
        assertThat(counts.count("main.worker | chan receive | main.main")).isEqualTo(2);
        assertThat(counts.groups()).extracting(GroupCounts.Group::count).containsExactly(40L, 2L);
    }

    @Test
    void groupsBeyondTheCapAreCountedInTheOverflowBucket() {
        Grouping.Sink sink = Grouping.sink(ProfileType.go, 3);
        for (int i = 0; i < 10; i++) {
            sink.accept(new StackRecord(null, null, List.of("main.f" + i), null, i + 1));
        }
        sink.accept(new StackRecord(null, null, List.of("main.f0"), null, 100));

        GroupCounts counts = sink.counts();

        assertThat(counts.size()).isEqualTo(4);
        assertThat(counts.count("main.f0 | - | -")).isEqualTo(101);
        assertThat(counts.otherCount()).isEqualTo(4 + 5 + 6 + 7 + 8 + 9 + 10);
        assertThat(counts.total()).isEqualTo(155);
        assertThat(counts.group(GroupCounts.OTHER_KEY).description()).isEqualTo("other groups (beyond the 3-group cap)");
    }

    @Test
    void theOverflowKeyIsReserved() {
        assertThatThrownBy(() -> GroupCounts.builder(5).add(GroupCounts.OTHER_KEY, "x", 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static StackRecord go(String state, String createdBy, String... frames) {
        return new StackRecord(null, state, Arrays.asList(frames), createdBy, 1);
    }

    private static StackRecord jvm(String name, String state, String... frames) {
        return new StackRecord(name, state, Arrays.asList(frames), null, 1);
    }
}
