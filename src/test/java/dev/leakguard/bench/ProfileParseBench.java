package dev.leakguard.bench;

import dev.leakguard.profile.GroupCounts;
import dev.leakguard.profile.Grouping;
import dev.leakguard.profile.ProfileType;
import dev.leakguard.scrape.parse.GoroutineProfileParser;
import dev.leakguard.scrape.parse.ProfileFixtures;
import dev.leakguard.scrape.parse.ProfileParseException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
        ByteArrayOutputStream out = new ByteArrayOutputStream((mebibytes << 20) + 4096);
        long id = 1;
        while (out.size() < mebibytes << 20) {
            for (byte[] block : blocks) {
                writeWithId(out, block, id++);
            }
        }
        dump = out.toByteArray();
        GroupCounts counts = parseAndGroup();
        System.out.printf("%n[ProfileParseBench] held dump: %.1f MiB, %d goroutines, %d groups%n",
                dump.length / 1048576.0, counts.total(), counts.size());
    }

    @Benchmark
    public GroupCounts parseAndGroup() throws ProfileParseException {
        Grouping.Sink sink = Grouping.sink(ProfileType.GO);
        GoroutineProfileParser.parse(new ByteArrayInputStream(dump), Long.MAX_VALUE, sink);
        return sink.counts();
    }

    @Benchmark
    public GroupCounts parseAndGroupStreamed() throws ProfileParseException {
        Grouping.Sink sink = Grouping.sink(ProfileType.GO);
        GoroutineProfileParser.parse(new ReplayingStream(blocks, (long) STREAMED_FACTOR * mebibytes << 20), Long.MAX_VALUE, sink);
        return sink.counts();
    }

    private static List<byte[]> realBlocks() {
        String fixture = ProfileFixtures.text(ProfileFixtures.GO_AFTER1000_DEBUG2);
        return java.util.Arrays.stream(fixture.split("\n\n"))
                .map(block -> (block.strip() + "\n\n").getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    /** Replaces the id in {@code goroutine 84 [chan receive]:} so the dump looks like one process's. */
    private static void writeWithId(ByteArrayOutputStream out, byte[] block, long id) {
        int idStart = "goroutine ".length();
        int idEnd = idStart;
        while (block[idEnd] != ' ') {
            idEnd++;
        }
        out.write(block, 0, idStart);
        out.writeBytes(Long.toString(id).getBytes(StandardCharsets.US_ASCII));
        out.write(block, idEnd, block.length - idEnd);
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
