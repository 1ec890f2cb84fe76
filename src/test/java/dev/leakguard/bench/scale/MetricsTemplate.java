package dev.leakguard.bench.scale;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A captured {@code /metrics} body with the values of two series replaced on every render, so each
 * simulated pod serves the real program's exposition with its own memory and thread counts.
 */
final class MetricsTemplate {
    private final byte[] head;
    private final byte[] middle;
    private final byte[] tail;
    private final boolean memoryFirst;
    private final boolean floatStyle;

    private MetricsTemplate(byte[] head, byte[] middle, byte[] tail, boolean memoryFirst, boolean floatStyle) {
        this.head = head;
        this.middle = middle;
        this.tail = tail;
        this.memoryFirst = memoryFirst;
        this.floatStyle = floatStyle;
    }

    /**
     * {@code memorySeries} and {@code threadSeries} are sample names with their labels exactly as
     * the body writes them, e.g. {@code jvm_memory_used_bytes{area="heap",id="G1 Old Gen"}}.
     * {@code floatStyle}: write values as Java doubles ({@code 1.0E8}, Micrometer) instead of integers.
     */
    static MetricsTemplate of(byte[] body, String memorySeries, String threadSeries, boolean floatStyle) {
        String text = new String(body, StandardCharsets.UTF_8);
        int[] memory = valueSpan(text, memorySeries);
        int[] threads = valueSpan(text, threadSeries);
        int[] first = memory[0] < threads[0] ? memory : threads;
        int[] second = first == memory ? threads : memory;
        return new MetricsTemplate(
                text.substring(0, first[0]).getBytes(StandardCharsets.UTF_8),
                text.substring(first[1], second[0]).getBytes(StandardCharsets.UTF_8),
                text.substring(second[1]).getBytes(StandardCharsets.UTF_8),
                first == memory, floatStyle);
    }

    /** Start and end of the value of the sample line {@code series}. */
    private static int[] valueSpan(String text, String series) {
        int line = text.startsWith(series + " ") ? 0 : text.indexOf("\n" + series + " ");
        if (line < 0) {
            throw new IllegalArgumentException("no sample line " + series + " in the template");
        }
        int start = (line == 0 ? 0 : line + 1) + series.length() + 1;
        int end = start;
        while (end < text.length() && text.charAt(end) != ' ' && text.charAt(end) != '\n') {
            end++;
        }
        return new int[] {start, end};
    }

    byte[] render(double memory, double threads) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + middle.length + tail.length + 48);
        out.writeBytes(head);
        out.writeBytes(format(memoryFirst ? memory : threads));
        out.writeBytes(middle);
        out.writeBytes(format(memoryFirst ? threads : memory));
        out.writeBytes(tail);
        return out.toByteArray();
    }

    private byte[] format(double value) {
        String text = floatStyle ? Double.toString(Math.rint(value)) : Long.toString(Math.round(value));
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
