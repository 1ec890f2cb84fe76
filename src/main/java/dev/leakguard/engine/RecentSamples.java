package dev.leakguard.engine;

import dev.leakguard.trend.Sample;
import java.util.ArrayList;
import java.util.List;

/**
 * The last window of a pod's samples, at most one per scrape interval (the latest sample of each
 * interval-sized slot of time), kept so that another leader can replay them. A sample of another
 * container instance starts over: the earlier instance's samples would only be skipped on replay.
 * Not thread-safe: {@link PodState} guards it.
 */
final class RecentSamples {
    private final long slotMillis;
    private final Sample[] ring;
    private int start;
    private int size;

    RecentSamples(long intervalMillis, long windowMillis) {
        this.slotMillis = intervalMillis;
        this.ring = new Sample[(int) Math.min(100_000, windowMillis / intervalMillis + 1)];
    }

    void add(Sample sample) {
        if (size > 0) {
            Sample last = ring[(start + size - 1) % ring.length];
            if (last.containerStartMillis() != sample.containerStartMillis() || last.restartCount() != sample.restartCount()
                    || sample.timestampMillis() < last.timestampMillis()) {
                size = 0;
                start = 0;
            } else if (Math.floorDiv(sample.timestampMillis(), slotMillis) == Math.floorDiv(last.timestampMillis(), slotMillis)) {
                ring[(start + size - 1) % ring.length] = sample;
                return;
            }
        }
        if (size == ring.length) {
            ring[start] = sample;
            start = (start + 1) % ring.length;
        } else {
            ring[(start + size) % ring.length] = sample;
            size++;
        }
    }

    List<Sample> list() {
        List<Sample> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(ring[(start + i) % ring.length]);
        }
        return out;
    }
}
