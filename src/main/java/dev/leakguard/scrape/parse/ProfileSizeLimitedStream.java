package dev.leakguard.scrape.parse;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Fails with {@link TooLarge} once more than {@code maxBytes} bytes would be read. */
final class ProfileSizeLimitedStream extends FilterInputStream {

    /** Reading went past the size limit. */
    static final class TooLarge extends IOException {
        TooLarge(long maxBytes) {
            super("the profile is larger than the limit of " + maxBytes + " bytes");
        }
    }

    private final long maxBytes;
    private long read;

    ProfileSizeLimitedStream(InputStream in, long maxBytes) {
        super(in);
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, was " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        // Ask for at most one byte beyond the limit: a profile of exactly maxBytes passes, a larger one
        // fails without reading much more. (maxBytes may be Long.MAX_VALUE, so no "+ 1" on it.)
        long remaining = maxBytes - read;
        int request = remaining >= length ? length : (int) remaining + 1;
        int n = in.read(buffer, offset, request);
        if (n > 0) {
            read += n;
            if (read > maxBytes) {
                throw new TooLarge(maxBytes);
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] discard = new byte[(int) Math.min(n, 8192)];
        int skipped = read(discard, 0, discard.length);
        return Math.max(skipped, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
