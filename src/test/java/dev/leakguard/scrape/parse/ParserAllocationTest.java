package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.fixtures.MetricsFixtures;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.Grouping;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Allocation of the three parsers is proportional to their input, whatever the input says: a
 * count of 2^63 goroutines, a million distinct groups, lines at the length limit, or random bytes
 * allocate no more than a few times the body (plus a constant for buffers), so a hostile endpoint
 * can cost the operator at most the body cap, not a multiple of its claims. Allocation is counted
 * per thread by the JVM, so other tests running meanwhile do not disturb it.
 */
class ParserAllocationTest {
    /**
     * Bytes allocated per input byte, and a constant for the parsers' fixed buffers (64 KiB line
     * buffers, Jackson). Measured: about 40 per byte for a profile of one-line goroutines, the
     * worst case (a record and its strings per 40 bytes), and the same ratio from 5 000 to 200 000
     * of them; the bound only fails on growth that is not linear or on allocations the input asks for.
     */
    private static final long PER_BYTE = 64;
    private static final long CONSTANT = 4L << 20;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void metricsParserAllocatesInProportionToTheBody() {
        List<SeriesSelector> selectors = List.of(SeriesSelector.parse("process_resident_memory_bytes"),
                SeriesSelector.parse("go_goroutines"), SeriesSelector.parse("jvm_memory_used_bytes{area=\"heap\"}"));
        for (byte[] body : metricsInputs()) {
            long allocated = allocatedBy(() -> {
                try {
                    PrometheusTextParser.extract(body, body.length, selectors);
                } catch (MetricsParseException e) {
                    // A clean failure is fine; its cost counts too.
                }
            });
            assertThat(allocated).as("bytes allocated for a %d-byte body", body.length).isLessThanOrEqualTo(bound(body));
        }
    }

    /**
     * The lines a scrape mostly consists of — other families' HELP, TYPE and samples — cost no allocation: a
     * body has a TYPE line per family, and a String made for each type name was a fifth of the parse time.
     */
    @Test
    void unselectedFamiliesAllocateNothingPerLine() throws MetricsParseException {
        int families = 5_000;
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < families; i++) {
            text.append("# HELP family_").append(i).append(" Some help.\n# TYPE family_").append(i).append(" counter\n")
                    .append("family_").append(i).append("_total{code=\"200\"} ").append(i).append('\n');
        }
        byte[] body = text.append("go_goroutines 7\n").toString().getBytes(StandardCharsets.US_ASCII);
        List<SeriesSelector> selectors = List.of(SeriesSelector.parse("go_goroutines"));
        PrometheusTextParser.extract(body, body.length, selectors); // loads and links what the parse uses
        long allocated = allocatedBy(() -> {
            try {
                PrometheusTextParser.extract(body, body.length, selectors);
            } catch (MetricsParseException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(allocated).as("bytes allocated for %d unselected families", families).isLessThan(families);
    }

    @Test
    void profileParsersAllocateInProportionToTheProfile() {
        for (ProfileType type : List.of(ProfileType.go, ProfileType.jvm)) {
            for (byte[] profile : profileInputs()) {
                long allocated = allocatedBy(() -> {
                    try {
                        ProfileFixtures.parse(type, profile, Grouping.sink(type));
                    } catch (ProfileParseException e) {
                        // A clean failure is fine; its cost counts too.
                    }
                });
                assertThat(allocated).as("%s: bytes allocated for a %d-byte profile", type, profile.length)
                        .isLessThanOrEqualTo(bound(profile));
            }
        }
    }

    private static long bound(byte[] input) {
        return CONSTANT + PER_BYTE * input.length;
    }

    private static long allocatedBy(Runnable work) {
        long thread = Thread.currentThread().getId();
        long before = THREADS.getThreadAllocatedBytes(thread);
        work.run();
        return THREADS.getThreadAllocatedBytes(thread) - before;
    }

    private static List<byte[]> metricsInputs() {
        List<byte[]> inputs = new ArrayList<>();
        MetricsFixtures.ALL.forEach(name -> inputs.add(MetricsFixtures.bytes(name)));
        StringBuilder manySeries = new StringBuilder("# TYPE go_goroutines gauge\n");
        for (int i = 0; i < 50_000; i++) {
            manySeries.append("go_goroutines{id=\"").append(i).append("\"} 1\n");
        }
        inputs.add(utf8(manySeries));
        String longLabel = "v".repeat(PrometheusTextParser.MAX_LABEL_VALUE_BYTES - 10);
        StringBuilder longLines = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            longLines.append("process_resident_memory_bytes{a=\"").append(i).append(longLabel).append("\"} 1\n");
        }
        inputs.add(utf8(longLines));
        inputs.add(utf8(new StringBuilder("process_resident_memory_bytes 1e").append("9".repeat(60_000)).append('\n')));
        inputs.addAll(randomBodies(7));
        return inputs;
    }

    private static List<byte[]> profileInputs() {
        List<byte[]> inputs = new ArrayList<>();
        ProfileFixtures.GO.forEach(name -> inputs.add(ProfileFixtures.bytes(name)));
        ProfileFixtures.JVM.forEach(name -> inputs.add(ProfileFixtures.bytes(name)));
        inputs.add(utf8(new StringBuilder("goroutine profile: total 9223372036854775807\n9223372036854775807 @ 0x1\n")
                .append("#\t0x1\tmain.f+0x1\t/m.go:1\n\n")));
        StringBuilder distinctGroups = new StringBuilder("goroutine profile: total 200000\n");
        for (int i = 0; i < 200_000; i++) {
            distinctGroups.append("1 @ 0x1\n#\t0x1\tmain.f").append(i).append("+0x1\t/m.go:1\n\n");
        }
        inputs.add(utf8(distinctGroups));
        StringBuilder distinctThreads = new StringBuilder("{\"threads\":[");
        for (int i = 0; i < 100_000; i++) {
            distinctThreads.append(i == 0 ? "" : ",").append("{\"threadName\":\"t").append(Integer.toString(i, 36))
                    .append("x\",\"threadState\":\"WAITING\",\"stackTrace\":[{\"className\":\"C").append(i)
                    .append("\",\"methodName\":\"m\"}]}");
        }
        inputs.add(utf8(distinctThreads.append("]}")));
        inputs.add(utf8(new StringBuilder("goroutine 1 [running]:\n").append("main.f(").append("0x1, ".repeat(10_000)).append(")\n")));
        inputs.addAll(randomBodies(11));
        return inputs;
    }

    private static List<byte[]> randomBodies(long seed) {
        Random random = new Random(seed);
        List<byte[]> bodies = new ArrayList<>();
        for (int size : new int[] {0, 1, 100, 65_537, 1 << 20}) {
            byte[] body = new byte[size];
            random.nextBytes(body);
            bodies.add(body);
        }
        return bodies;
    }

    private static byte[] utf8(CharSequence text) {
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }
}
