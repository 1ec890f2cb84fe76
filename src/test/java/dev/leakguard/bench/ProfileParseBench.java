package dev.leakguard.bench;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.GroupCounts;
import dev.leakguard.profile.Grouping;
import dev.leakguard.scrape.parse.GoroutineProfileParser;
import dev.leakguard.scrape.parse.ProfileFixtures;
import dev.leakguard.scrape.parse.ProfileParseException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Parsing and grouping a large {@code debug=2} goroutine profile, built by replicating the real
 * goroutine blocks of the redis-leak fixture with fresh goroutine ids.
 *
 * <ul>
 *   <li>{@code parseAndGroup}: a dump of {@code mebibytes} MiB held in memory. MB/s = size / time.</li>
 *   <li>{@code parseAndGroupStreamed}: a dump ten times as large, generated on the fly and never
 *       held, in a fork whose heap is only 64 MiB — it can only pass if parsing memory is bounded.</li>
 * </ul>
 * Run: {@code mvn -B test-compile exec:exec@bench -Dbench.args="ProfileParseBench -f 1 -wi 2 -i 3"};
 * add {@code -prof gc} for allocation per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx64m")
@Warmup(iterations = 2)
@Measurement(iterations = 3)
public class ProfileParseBench {

    /** The streamed dump is ten times the held one, so with 30 MiB it is 300 MiB through a 64 MiB heap. */
    private static final int STREAMED_FACTOR = 10;

    /** Target dump size; 30 MiB of real blocks is a little over 100k goroutines. */
    @Param({"10", "30"})
    public int mebibytes;

    private byte[] dump;
    private List<byte[]> blocks;

    @Setup
    public void buildDump() throws ProfileParseException {
        blocks = realBlocks();
        // Two passes into one exact array: a growing buffer would need twice the dump in a 64 MiB heap.
        long target = (long) mebibytes << 20;
        int goroutines = 0;
        long size = 0;
        while (size < target) {
            size += withId(blocks.get(goroutines % blocks.size()), goroutines + 1).length;
            goroutines++;
        }
        dump = new byte[Math.toIntExact(size)];
        int at = 0;
        for (int i = 0; i < goroutines; i++) {
            byte[] block = withId(blocks.get(i % blocks.size()), i + 1);
            System.arraycopy(block, 0, dump, at, block.length);
            at += block.length;
        }
        GroupCounts counts = parseAndGroup();
        System.out.printf("%n[ProfileParseBench] held dump: %.1f MiB, %d goroutines, %d groups%n",
                dump.length / 1048576.0, counts.total(), counts.size());
    }

    @Benchmark
    public GroupCounts parseAndGroup() throws ProfileParseException {
        Grouping.Sink sink = Grouping.sink(ProfileType.go);
        GoroutineProfileParser.parse(new ByteArrayInputStream(dump), Long.MAX_VALUE, sink);
        return sink.counts();
    }

    @Benchmark
    public GroupCounts parseAndGroupStreamed() throws ProfileParseException {
        Grouping.Sink sink = Grouping.sink(ProfileType.go);
        GoroutineProfileParser.parse(new ReplayingStream(blocks, (long) STREAMED_FACTOR * mebibytes << 20), Long.MAX_VALUE, sink);
        return sink.counts();
    }

    private static List<byte[]> realBlocks() {
        String fixture = ProfileFixtures.text(ProfileFixtures.GO_AFTER1000_DEBUG2);
        return Arrays.stream(fixture.split("\n\n"))
                .map(block -> (block.strip() + "\n\n").getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    /** The block with its id replaced, {@code goroutine 84 [chan receive]:} → {@code goroutine ID [chan receive]:}. */
    private static byte[] withId(byte[] block, long id) {
        int idStart = "goroutine ".length();
        int idEnd = idStart;
        while (block[idEnd] != ' ') {
            idEnd++;
        }
        byte[] digits = Long.toString(id).getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[block.length - (idEnd - idStart) + digits.length];
        System.arraycopy(block, 0, out, 0, idStart);
        System.arraycopy(digits, 0, out, idStart, digits.length);
        System.arraycopy(block, idEnd, out, idStart + digits.length, block.length - idEnd);
        return out;
    }

    /** Serves the real blocks over and over up to a byte budget, ending at a block boundary. */
    private static final class ReplayingStream extends InputStream {
        private final List<byte[]> blocks;
        private final long budget;
        private long served;
        private int block;
        private int offset;

        ReplayingStream(List<byte[]> blocks, long budget) {
            this.blocks = blocks;
            this.budget = budget;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int off, int len) {
            if (offset == 0 && served >= budget) {
                return -1;
            }
            byte[] current = blocks.get(block);
            int n = Math.min(len, current.length - offset);
            System.arraycopy(current, offset, buffer, off, n);
            offset += n;
            served += n;
            if (offset == current.length) {
                offset = 0;
                block = (block + 1) % blocks.size();
            }
            return n;
        }
    }
}
