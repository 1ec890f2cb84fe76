package dev.leakguard.engine;

import dev.leakguard.trend.Sample;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Recent samples of many pods in a few bytes each: per pod its key, uid and container instance, then
 * per sample the time since the previous one, memory in whole bytes and threads in whole units, all as
 * variable-length integers; gzip-compressed and base64-encoded (the form of a ConfigMap's
 * {@code binaryData}). Made to fit a budget: when all pods do not fit, those closest to their memory
 * limit are kept. Decoding checks every count and length and throws {@link IllegalArgumentException}
 * on anything it did not write.
 */
public final class SampleArchive {
    /** "LGS" and the format version. */
    private static final byte[] MAGIC = {'L', 'G', 'S', 1};
    static final int MAX_PODS = 100_000;
    static final int MAX_SAMPLES_PER_POD = 100_000;
    /** A full archive holds a few hundred thousand; more would only fill the heap. */
    static final int MAX_SAMPLES = 1_000_000;
    private static final int MAX_STRING_BYTES = 253;
    /** Decompressed input beyond this is refused, whatever the archive claims: no gzip bomb fills the heap. */
    static final int MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

    /** The archive's text, and how many pods it holds and had to leave out. */
    public record Encoded(String base64, int kept, int dropped) {
    }

    private SampleArchive() {
    }

    /** All of {@code pods} that fit in {@code maxChars} of base64, those closest to their limit first. */
    public static Encoded encode(List<PodSamples> pods, int maxChars) {
        List<PodSamples> ranked = pods.stream().sorted(Comparator.comparingDouble(PodSamples::fillOfLimit).reversed()).toList();
        int keep = ranked.size();
        while (true) {
            String text = Base64.getEncoder().encodeToString(gzip(ranked.subList(0, keep)));
            if (text.length() <= maxChars || keep == 0) {
                return new Encoded(text, keep, ranked.size() - keep);
            }
            // Compressed size is nearly proportional to the pods kept; aim a little under the budget.
            keep = Math.min(keep - 1, (int) (keep * 0.95 * maxChars / text.length()));
            keep = Math.max(keep, 0);
        }
    }

    public static List<PodSamples> decode(String base64) {
        byte[] gz;
        try {
            gz = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sample archive is not base64: " + e.getMessage(), e);
        }
        try (InputStream in = new Bounded(new BufferedInputStream(new GZIPInputStream(new ByteArrayInputStream(gz))))) {
            for (byte b : MAGIC) {
                if (in.read() != (b & 0xff)) {
                    throw new IllegalArgumentException("not a leakguard sample archive (version " + MAGIC[3] + ")");
                }
            }
            int podCount = count(in, MAX_PODS, "pods");
            List<PodSamples> pods = new ArrayList<>(Math.min(podCount, 1024));
            int total = 0;
            for (int p = 0; p < podCount; p++) {
                PodKey pod = new PodKey(string(in), string(in));
                String uid = string(in);
                long start = unzigzag(varint(in));
                int restarts = (int) unzigzag(varint(in));
                int sampleCount = count(in, MAX_SAMPLES_PER_POD, "samples of " + pod);
                total += sampleCount;
                if (total > MAX_SAMPLES) {
                    throw new IllegalArgumentException("sample archive holds more than " + MAX_SAMPLES + " samples");
                }
                List<Sample> samples = new ArrayList<>(Math.min(sampleCount, 1024));
                long time = 0;
                for (int s = 0; s < sampleCount; s++) {
                    time += unzigzag(varint(in));
                    double memory = unzigzag(varint(in));
                    long threadsPlusOne = varint(in);
                    samples.add(new Sample(time, memory, threadsPlusOne == 0 ? Double.NaN : threadsPlusOne - 1, start, restarts));
                }
                pods.add(new PodSamples(pod, uid, start, restarts, Double.NaN, samples));
            }
            if (in.read() != -1) {
                throw new IllegalArgumentException("sample archive has bytes after its last pod");
            }
            return pods;
        } catch (IOException e) {
            throw new IllegalArgumentException("sample archive is corrupt: " + e.getMessage(), e);
        }
    }

    private static byte[] gzip(List<PodSamples> pods) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024 + pods.size() * 256);
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(MAGIC);
            writeVarint(out, pods.size());
            for (PodSamples pod : pods) {
                writeString(out, pod.pod().namespace());
                writeString(out, pod.pod().name());
                writeString(out, pod.podUid());
                writeVarint(out, zigzag(pod.containerStartMillis()));
                writeVarint(out, zigzag(pod.restartCount()));
                writeVarint(out, pod.samples().size());
                long time = 0;
                for (Sample sample : pod.samples()) {
                    writeVarint(out, zigzag(sample.timestampMillis() - time));
                    time = sample.timestampMillis();
                    writeVarint(out, zigzag(Math.round(sample.memoryBytes())));
                    writeVarint(out, Double.isNaN(sample.threads()) ? 0 : Math.max(0, Math.round(sample.threads())) + 1);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeString(OutputStream out, String value) throws IOException {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        writeVarint(out, utf8.length);
        out.write(utf8);
    }

    private static String string(InputStream in) throws IOException {
        int length = count(in, MAX_STRING_BYTES, "name bytes");
        byte[] utf8 = in.readNBytes(length);
        if (utf8.length != length) {
            throw new EOFException("archive ends inside a name");
        }
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static int count(InputStream in, int max, String what) throws IOException {
        long value = varint(in);
        if (value > max) {
            throw new IllegalArgumentException("sample archive claims " + value + " " + what + ", more than " + max);
        }
        return (int) value;
    }

    static void writeVarint(OutputStream out, long value) throws IOException {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    static long varint(InputStream in) throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("archive ends inside a number");
            }
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("sample archive has a number longer than 64 bits");
    }

    private static long zigzag(long value) {
        return (value << 1) ^ (value >> 63);
    }

    private static long unzigzag(long value) {
        return (value >>> 1) ^ -(value & 1);
    }

    /** Refuses to inflate past {@link #MAX_DECOMPRESSED_BYTES}. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        private long read;

        Bounded(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0 && ++read > MAX_DECOMPRESSED_BYTES) {
                throw new IllegalArgumentException("sample archive inflates beyond " + MAX_DECOMPRESSED_BYTES + " bytes");
            }
            return b;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
