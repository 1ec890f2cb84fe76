package dev.leakguard.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.trend.Sample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class SampleArchiveTest {
    private static final long START = 1_800_000_000_000L;
    private static final double MIB = 1024 * 1024;

    /** A pod's 121 samples of a 30 m window at 15 s, memory from {@code fromMib} growing 1 MiB a minute. */
    private static PodSamples pod(String name, double fromMib, double limitMib) {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i <= 120; i++) {
            samples.add(new Sample(START + i * 15_000L + (i % 3) * 7, fromMib * MIB + i * MIB / 4 + 4095, i % 2 == 0 ? 50 + i : Double.NaN,
                    START - 60_000, 2));
        }
        return new PodSamples(new PodKey("shop", name), name + "-uid", START - 60_000, 2, limitMib * MIB, samples);
    }

    @Test
    void aWindowOfSamplesComesBackExactlyInAFewBytesEach() {
        List<PodSamples> pods = List.of(pod("checkout-0", 100, 512), pod("checkout-1", 300, 512));

        SampleArchive.Encoded encoded = SampleArchive.encode(pods, SampleKeeper.MAX_ARCHIVE_CHARS);
        List<PodSamples> decoded = SampleArchive.decode(encoded.base64());

        assertThat(encoded.kept()).isEqualTo(2);
        assertThat(encoded.dropped()).isZero();
        // Closest to its limit first; limits are not saved (the pod's own limit applies on replay).
        assertThat(decoded).extracting(p -> p.pod().name()).containsExactly("checkout-1", "checkout-0");
        PodSamples back = decoded.get(1);
        assertThat(back.podUid()).isEqualTo("checkout-0-uid");
        assertThat(back.containerStartMillis()).isEqualTo(START - 60_000);
        assertThat(back.restartCount()).isEqualTo(2);
        assertThat(back.samples()).isEqualTo(pods.get(0).samples());
        System.out.printf("sample archive: 2 pods x 121 samples in %d base64 characters (%.1f per sample)%n",
                encoded.base64().length(), encoded.base64().length() / 242.0);
        assertThat(encoded.base64().length()).as("a few bytes per sample").isLessThan(242 * 8);
    }

    @Test
    void overTheBudgetThePodsClosestToTheirLimitAreKeptAndTheRestCounted() {
        List<PodSamples> pods = IntStream.range(0, 400).mapToObj(i -> pod("pod-" + i, i, 512)).toList();

        SampleArchive.Encoded encoded = SampleArchive.encode(pods, 40 * 1024);
        List<PodSamples> decoded = SampleArchive.decode(encoded.base64());

        assertThat(encoded.base64().length()).isLessThanOrEqualTo(40 * 1024);
        assertThat(encoded.dropped()).isPositive();
        assertThat(encoded.kept() + encoded.dropped()).isEqualTo(400);
        assertThat(decoded).hasSize(encoded.kept());
        assertThat(decoded.get(0).pod().name()).isEqualTo("pod-399");
        assertThat(decoded).extracting(p -> p.pod().name()).doesNotContain("pod-0");
        // Compressed size is not linear in pods, but the shrinking aims close under the budget.
        assertThat(encoded.base64().length()).isGreaterThan(30 * 1024);
    }

    @Test
    void corruptForeignOrOversizedInputIsRefusedWithAReason() {
        String good = SampleArchive.encode(List.of(pod("checkout-0", 100, 512)), 1 << 20).base64();
        byte[] bytes = Base64.getDecoder().decode(good);

        assertThatThrownBy(() -> SampleArchive.decode("not base64 at all!")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not base64");
        assertThatThrownBy(() -> SampleArchive.decode(Base64.getEncoder().encodeToString("plain text".getBytes())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("corrupt");
        assertThatThrownBy(() -> SampleArchive.decode(Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(bytes, bytes.length / 2))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SampleArchive.decode(gzipped(new byte[] {'L', 'G', 'S', 9})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a leakguard sample archive");
        // A header claiming more pods than any archive holds is refused before anything is allocated for them.
        assertThatThrownBy(() -> SampleArchive.decode(gzipped(new byte[] {'L', 'G', 'S', 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than " + SampleArchive.MAX_PODS);
        assertThatThrownBy(() -> SampleArchive.decode(gzipped(podsOfLongNames(25_000))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inflates beyond");
    }

    /** An archive of {@code count} pods with the longest names and no samples: small compressed, huge inflated. */
    private static byte[] podsOfLongNames(int count) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {'L', 'G', 'S', 1});
        SampleArchive.writeVarint(out, count);
        byte[] name = "a".repeat(253).getBytes();
        for (int i = 0; i < count; i++) {
            for (int s = 0; s < 3; s++) {
                SampleArchive.writeVarint(out, name.length);
                out.write(name);
            }
            out.write(new byte[] {0, 0, 0});
        }
        return out.toByteArray();
    }

    private static String gzipped(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }
}
