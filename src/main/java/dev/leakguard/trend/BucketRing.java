package dev.leakguard.trend;

import java.util.Arrays;

/**
 * The current series' time buckets, in a ring of primitive arrays so the state is bounded whatever
 * the window: each bucket keeps its lowest memory (the floor after collections), its highest
 * memory (the peak the OOM killer sees), its lowest thread count and how many samples it holds.
 * Bucket {@code i} covers {@code [origin + i·width, origin + (i+1)·width)}; the newest one is open,
 * the ones before it are closed. A bucket no sample fell into is simply absent.
 */
final class BucketRing {

    static final long NONE = Long.MIN_VALUE;

    private final long bucketMillis;
    private final int bucketsPerWindow;
    // slot = bucket index mod capacity; bucketIndex[slot] says which bucket the slot holds.
    private final long[] bucketIndex;
    private final double[] floor;
    private final double[] peak;
    private final double[] threadFloor;
    private final int[] count;
    private long originMillis = NONE;
    private double lowestThreads = Double.NaN;
    private long openIndex;

    BucketRing(long bucketMillis, int bucketsPerWindow) {
        this.bucketMillis = bucketMillis;
        this.bucketsPerWindow = bucketsPerWindow;
        int capacity = bucketsPerWindow + 1;
        bucketIndex = new long[capacity];
        floor = new double[capacity];
        peak = new double[capacity];
        threadFloor = new double[capacity];
        count = new int[capacity];
        Arrays.fill(bucketIndex, NONE);
    }

    /** Forgets every bucket; the next sample starts the series' time origin. */
    void clear() {
        originMillis = NONE;
        lowestThreads = Double.NaN;
        Arrays.fill(bucketIndex, NONE);
    }

    /**
     * Puts a sample into its bucket. Returns the floor of the bucket this sample closed, or
     * {@code NaN} when it closed none (it fell into the open bucket, or the open one was empty).
     */
    double add(long timestampMillis, double memory, double threads) {
        if (originMillis == NONE) {
            originMillis = timestampMillis;
            openIndex = 0;
        }
        if (Double.isNaN(lowestThreads) || threads < lowestThreads) {
            lowestThreads = threads;
        }
        long index = (timestampMillis - originMillis) / bucketMillis;
        double closedFloor = Double.NaN;
        if (index != openIndex) {
            if (holds(openIndex)) {
                closedFloor = floor[slot(openIndex)];
            }
            openIndex = index;
        }
        int slot = slot(index);
        if (bucketIndex[slot] != index) {
            bucketIndex[slot] = index;
            floor[slot] = memory;
            peak[slot] = memory;
            threadFloor[slot] = threads;
            count[slot] = 1;
            return closedFloor;
        }
        floor[slot] = Math.min(floor[slot], memory);
        peak[slot] = Math.max(peak[slot], memory);
        threadFloor[slot] = Double.isNaN(threadFloor[slot]) ? threads : Math.min(threadFloor[slot], threads);
        count[slot]++;
        return closedFloor;
    }

    boolean holds(long index) {
        return bucketIndex[slot(index)] == index;
    }

    /** The lowest floor of the buckets held among the {@code buckets} before the open one; +∞ when none. */
    double lowestRecentFloor(int buckets) {
        double lowest = Double.POSITIVE_INFINITY;
        for (long index = openIndex - buckets; index < openIndex; index++) {
            if (holds(index)) {
                lowest = Math.min(lowest, floor(index));
            }
        }
        return lowest;
    }

    /** Samples in the closed buckets of the window. */
    int closedSamples() {
        int samples = 0;
        for (long index = openIndex - bucketsPerWindow; index < openIndex; index++) {
            if (holds(index)) {
                samples += count[slot(index)];
            }
        }
        return samples;
    }

    /** The first bucket index of the window, the open bucket excluded. */
    long firstWindowIndex() {
        return openIndex - bucketsPerWindow;
    }

    long openIndex() {
        return openIndex;
    }

    int openCount() {
        return count[slot(openIndex)];
    }

    double openPeak() {
        return peak[slot(openIndex)];
    }

    double floor(long index) {
        return floor[slot(index)];
    }

    /** How many samples a held bucket got. */
    int count(long index) {
        return count[slot(index)];
    }

    /** The lowest thread count of the series; {@code NaN} while none is known. */
    double lowestThreads() {
        return lowestThreads;
    }

    double peak(long index) {
        return peak[slot(index)];
    }

    double threadFloor(long index) {
        return threadFloor[slot(index)];
    }

    /** The centre of a bucket, in seconds since the series' origin. */
    double centreSeconds(long index) {
        return (index * 2 + 1) * bucketMillis / 2000.0;
    }

    double secondsSinceOrigin(long timestampMillis) {
        return (timestampMillis - originMillis) / 1000.0;
    }

    long bucketMillis() {
        return bucketMillis;
    }

    int bucketsPerWindow() {
        return bucketsPerWindow;
    }

    /** Bytes of the ring's arrays including their headers. */
    long retainedBytes() {
        return 8L * (bucketIndex.length + floor.length + peak.length + threadFloor.length) + 4L * count.length + 5 * 16 + 8;
    }

    private int slot(long index) {
        return (int) Math.floorMod(index, (long) bucketIndex.length);
    }
}
