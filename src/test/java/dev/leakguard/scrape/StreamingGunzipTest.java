package dev.leakguard.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.fixtures.MetricsFixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

class StreamingGunzipTest {

    private static final byte[] PLAIN = MetricsFixtures.bytes(MetricsFixtures.GO_OPENMETRICS);

    @Test
    void inflatesWhenFedOneByteAtATime() throws IOException {
        assertThat(inflateInChunks(HttpFetcherTest.gzip(PLAIN), new int[] {1})).isEqualTo(PLAIN);
    }

    @Test
    void inflatesWhenFedInRandomChunks() throws IOException {
        byte[] twoMembers = concat(HttpFetcherTest.gzip(PLAIN), HttpFetcherTest.gzip(PLAIN));
        Random random = new Random(7);
        int[] chunkSizes = random.ints(50, 1, 700).toArray();

        assertThat(inflateInChunks(twoMembers, chunkSizes)).isEqualTo(concat(PLAIN, PLAIN));
    }

    @Test
    void skipsOptionalHeaderFieldsSplitAcrossChunks() throws IOException {
        assertThat(inflateInChunks(withOptionalHeaderFields(), new int[] {3, 1, 2, 5, 1})).isEqualTo(PLAIN);
    }

    /** The header is read with growing look-ahead from the fixed 10 bytes on; the data goes on from where it ends. */
    @Test
    void inflatesWholeBodiesInOneChunk() throws IOException {
        assertThat(inflateInChunks(withOptionalHeaderFields(), new int[] {Integer.MAX_VALUE})).isEqualTo(PLAIN);
        assertThat(inflateInChunks(concat(HttpFetcherTest.gzip(PLAIN), HttpFetcherTest.gzip(PLAIN)), new int[] {Integer.MAX_VALUE}))
                .isEqualTo(concat(PLAIN, PLAIN));
    }

    /**
     * A body inflated into a buffer sized for it (the fetcher sizes it from the pod's last body) is not copied: the
     * buffer is not replaced by a larger one once it is nearly full, and the compressed bytes are not copied aside.
     */
    @Test
    void aBufferSizedForTheBodyIsNeitherReplacedNorIsTheInputCopied() throws IOException {
        ByteBuffer compressed = ByteBuffer.allocateDirect(HttpFetcherTest.gzip(PLAIN).length).put(HttpFetcherTest.gzip(PLAIN)).flip();
        inflateWhole(compressed.duplicate(), new CappedBuffer(1 << 20, PLAIN.length)); // loads and links what it uses
        CappedBuffer out = new CappedBuffer(1 << 20, PLAIN.length + PLAIN.length / 8);
        byte[] sized = out.array();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();

        inflateWhole(compressed.duplicate(), out);

        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(Arrays.copyOf(out.array(), out.size())).isEqualTo(PLAIN);
        assertThat(out.array()).isSameAs(sized);
        assertThat(allocated).as("bytes allocated inflating a %d-byte body", compressed.capacity()).isLessThan(2048);
    }

    private static void inflateWhole(ByteBuffer compressed, CappedBuffer out) throws ZipException {
        StreamingGunzip gunzip = new StreamingGunzip(out);
        assertThat(gunzip.write(compressed)).isTrue();
        gunzip.finish();
        gunzip.release();
    }

    private static byte[] withOptionalHeaderFields() throws IOException {
        byte[] standard = HttpFetcherTest.gzip(PLAIN);
        ByteArrayOutputStream withFields = new ByteArrayOutputStream();
        withFields.write(standard, 0, 3);
        withFields.write(2 | 4 | 8 | 16); // FHCRC, FEXTRA, FNAME, FCOMMENT
        withFields.write(standard, 4, 6);
        withFields.write(new byte[] {5, 0, 'x', 'x', 'x', 'x', 'x'});
        withFields.write("metrics.txt\0".getBytes(StandardCharsets.ISO_8859_1));
        withFields.write("captured\0".getBytes(StandardCharsets.ISO_8859_1));
        withFields.write(new byte[] {0x12, 0x34});
        withFields.write(standard, 10, standard.length - 10);
        return withFields.toByteArray();
    }

    @Test
    void stopsOneByteAfterTheCap() throws IOException {
        CappedBuffer out = new CappedBuffer(1000, 0);
        StreamingGunzip gunzip = new StreamingGunzip(out);
        byte[] compressed = HttpFetcherTest.gzip(new byte[1_000_000]);

        boolean fits = gunzip.write(ByteBuffer.wrap(compressed));

        assertThat(fits).isFalse();
        assertThat(out.size()).isEqualTo(1001);
        assertThat(out.array().length).isLessThanOrEqualTo(1001);
    }

    @Test
    void endingInsideAMemberIsTruncation() throws IOException {
        byte[] compressed = HttpFetcherTest.gzip(PLAIN);
        StreamingGunzip gunzip = new StreamingGunzip(new CappedBuffer(1 << 20, 0));
        gunzip.write(ByteBuffer.wrap(compressed, 0, compressed.length - 1));

        assertThatThrownBy(gunzip::finish).isInstanceOf(ZipException.class).hasMessage("truncated gzip stream");
    }

    private static byte[] inflateInChunks(byte[] compressed, int[] chunkSizes) throws ZipException {
        CappedBuffer out = new CappedBuffer(1 << 20, 0);
        StreamingGunzip gunzip = new StreamingGunzip(out);
        int pos = 0;
        for (int i = 0; pos < compressed.length; i++) {
            int length = Math.min(chunkSizes[i % chunkSizes.length], compressed.length - pos);
            assertThat(gunzip.write(ByteBuffer.wrap(compressed, pos, length))).isTrue();
            pos += length;
        }
        gunzip.finish();
        gunzip.release();
        return Arrays.copyOf(out.array(), out.size());
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
