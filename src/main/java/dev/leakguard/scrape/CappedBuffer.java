package dev.leakguard.scrape;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A growable byte array that holds at most one byte more than its cap: that one byte is how an
 * oversized body is noticed without buffering the rest of it.
 */
final class CappedBuffer {

    private static final int MIN_CAPACITY = 1024;
    private static final int UNKNOWN_SIZE_CAPACITY = 16 * 1024;

    private final int cap;
    private byte[] data;
    private int size;

    /**
     * {@code expectedSize} sizes the first array (a declared length, the peer's last body), so that it rarely grows;
     * 0 when unknown.
     */
    CappedBuffer(long cap, int expectedSize) {
        this.cap = Math.toIntExact(cap);
        int initial = expectedSize > 0 ? Math.max(MIN_CAPACITY, expectedSize) : UNKNOWN_SIZE_CAPACITY;
        this.data = new byte[Math.min(this.cap + 1, initial)];
    }

    boolean overCap() {
        return size > cap;
    }

    int size() {
        return size;
    }

    byte[] array() {
        return data;
    }

    /** Copies what fits (up to cap + 1 bytes in all); false when the cap is now exceeded. */
    boolean append(ByteBuffer chunk) {
        int length = Math.min(chunk.remaining(), room());
        reserve(length);
        chunk.get(data, size, length);
        size += length;
        return !overCap();
    }

    /** Bytes that fit in the current array without growing it. */
    int spare() {
        return data.length - size;
    }

    /** Bytes that may still be added, counting the one byte past the cap. */
    int room() {
        return cap + 1 - size;
    }

    /** Makes sure {@code length} bytes (at most {@link #room()}) can be written at {@link #size()}. */
    void reserve(int length) {
        int needed = size + length;
        if (needed > data.length) {
            long doubled = 2L * data.length;
            data = Arrays.copyOf(data, (int) Math.min(cap + 1L, Math.max(needed, doubled)));
        }
    }

    /** Records {@code length} bytes written directly into {@link #array()} at {@link #size()}. */
    void advance(int length) {
        size += length;
    }
}
