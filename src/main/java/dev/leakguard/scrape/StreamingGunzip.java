package dev.leakguard.scrape;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Inflates a gzip body (RFC 1952, one or more members) as its chunks arrive, into a
 * {@link CappedBuffer}. Because output is written straight into that buffer and never past one
 * byte beyond its cap, a gzip bomb is stopped after cap + 1 bytes instead of being expanded.
 */
final class StreamingGunzip {

    private static final int MAX_HEADER_BYTES = 64 * 1024;
    /** A member header without optional fields, as Go's and the JDK's writers send it. */
    private static final int FIXED_HEADER_BYTES = 10;
    private static final int TRAILER_BYTES = 8;
    /** When the buffer is full and the stream is not, it grows by doubling, and by at least this. */
    private static final int MIN_INFLATE_STEP = 4 * 1024;
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    private static final int RESERVED_FLAGS = 0xe0;

    private enum Part { HEADER, DATA, TRAILER }

    private final CappedBuffer out;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private Part part = Part.HEADER;
    private byte[] pending = new byte[64];
    private int pendingLength;
    private long memberStartSize;
    private int completeMembers;

    StreamingGunzip(CappedBuffer out) {
        this.out = out;
    }

    /**
     * Feeds the compressed bytes remaining in {@code input} (a direct buffer of the network layer is
     * inflated in place, not copied); false when the decompressed size went over the cap.
     */
    boolean write(ByteBuffer input) throws ZipException {
        ByteBuffer in = input;
        while (in.hasRemaining()) {
            switch (part) {
                case HEADER -> {
                    // Only the header is copied, not the data behind it: the fixed part first, then twice as much
                    // look-ahead each time optional fields need more.
                    int pendingBefore = pendingLength;
                    int appendedFrom = in.position();
                    appendPending(in, Math.min(in.remaining(), Math.max(FIXED_HEADER_BYTES - pendingLength, pendingLength)));
                    int headerLength = headerLength();
                    if (headerLength < 0) {
                        if (pendingLength > MAX_HEADER_BYTES) {
                            throw new ZipException("gzip header is longer than " + MAX_HEADER_BYTES + " bytes");
                        }
                        continue;
                    }
                    // The header was incomplete without the bytes just appended, so it ends among them: the data
                    // goes on from there, in place.
                    in.position(appendedFrom + headerLength - pendingBefore);
                    pendingLength = 0;
                    inflater.reset();
                    crc.reset();
                    memberStartSize = out.size();
                    part = Part.DATA;
                }
                case DATA -> {
                    inflater.setInput(in); // advances in's position as it inflates
                    if (!inflateAvailable()) {
                        return false;
                    }
                    if (inflater.finished()) {
                        part = Part.TRAILER;
                    } else if (in.hasRemaining()) {
                        throw new ZipException("deflate data stopped making progress");
                    }
                }
                case TRAILER -> {
                    appendPending(in, Math.min(TRAILER_BYTES - pendingLength, in.remaining()));
                    if (pendingLength == TRAILER_BYTES) {
                        checkTrailer();
                        pendingLength = 0;
                        completeMembers++;
                        part = Part.HEADER;
                    }
                }
            }
        }
        return true;
    }

    /** Checks that the stream ended at the end of a member. */
    void finish() throws ZipException {
        if (part != Part.HEADER || pendingLength != 0 || completeMembers == 0) {
            throw new ZipException("truncated gzip stream");
        }
    }

    void release() {
        inflater.end();
    }

    /**
     * Inflates what the input holds into the buffer, which grows only when inflating filled it: a buffer sized for
     * the body (the pod's last one) is neither copied nor replaced.
     */
    private boolean inflateAvailable() throws ZipException {
        while (true) {
            if (out.spare() == 0) {
                out.reserve(Math.min(out.room(), MIN_INFLATE_STEP));
            }
            int step = Math.min(out.room(), out.spare());
            int produced;
            try {
                produced = inflater.inflate(out.array(), out.size(), step);
            } catch (DataFormatException e) {
                throw new ZipException("corrupt deflate data: " + e.getMessage());
            }
            crc.update(out.array(), out.size(), produced);
            out.advance(produced);
            if (out.overCap()) {
                return false;
            }
            // Done when the input is used up or the member ended before the buffer was full; the buffer grows above only
            // when it is full and neither happened.
            if (produced == 0 || produced < step && (inflater.needsInput() || inflater.finished())) {
                if (inflater.needsDictionary()) {
                    throw new ZipException("gzip data asks for a preset dictionary");
                }
                return true;
            }
        }
    }

    private void checkTrailer() throws ZipException {
        long expectedCrc = littleEndianInt(pending, 0);
        long expectedSize = littleEndianInt(pending, 4);
        if (expectedCrc != crc.getValue()) {
            throw new ZipException("gzip CRC mismatch");
        }
        if (expectedSize != ((out.size() - memberStartSize) & 0xffffffffL)) {
            throw new ZipException("gzip size mismatch");
        }
    }

    /** The length of the complete member header at the start of {@code pending}, or -1 if more bytes are needed. */
    private int headerLength() throws ZipException {
        if (pendingLength < 10) {
            return -1;
        }
        if ((pending[0] & 0xff) != 0x1f || (pending[1] & 0xff) != 0x8b) {
            throw new ZipException("not in gzip format");
        }
        if (pending[2] != 8) {
            throw new ZipException("unsupported gzip compression method " + (pending[2] & 0xff));
        }
        int flags = pending[3] & 0xff;
        if ((flags & RESERVED_FLAGS) != 0) {
            throw new ZipException("reserved gzip header flags are set");
        }
        int p = 10;
        if ((flags & FEXTRA) != 0) {
            if (pendingLength < p + 2) {
                return -1;
            }
            p += 2 + ((pending[p] & 0xff) | (pending[p + 1] & 0xff) << 8);
        }
        if ((flags & FNAME) != 0) {
            p = afterZeroTerminated(p);
        }
        if ((flags & FCOMMENT) != 0) {
            p = afterZeroTerminated(p);
        }
        if ((flags & FHCRC) != 0 && p >= 0) {
            p += 2;
        }
        return p < 0 || p > pendingLength ? -1 : p;
    }

    private int afterZeroTerminated(int from) {
        if (from < 0) {
            return -1;
        }
        for (int p = from; p < pendingLength; p++) {
            if (pending[p] == 0) {
                return p + 1;
            }
        }
        return -1;
    }

    private void appendPending(ByteBuffer in, int length) {
        if (pendingLength + length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pendingLength + length, 2 * pending.length));
        }
        in.get(pending, pendingLength, length);
        pendingLength += length;
    }

    private static long littleEndianInt(byte[] bytes, int at) {
        return (bytes[at] & 0xffL) | (bytes[at + 1] & 0xffL) << 8 | (bytes[at + 2] & 0xffL) << 16
                | (bytes[at + 3] & 0xffL) << 24;
    }
}
