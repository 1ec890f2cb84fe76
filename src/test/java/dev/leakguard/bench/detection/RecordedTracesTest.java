package dev.leakguard.bench.detection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.cli.TraceCsv;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * What makes the recordings of real programs a fair test: a leak reaches the limit the benchmark
 * sets from it near the end of the recording, not with a start-up peak, and the thread leak keeps
 * its threads. (Round 7 found the first JVM thread-leak recording reaching its limit 2.5 minutes
 * in, with a start-up peak, while its threads were reclaimed by the GC.)
 */
class RecordedTracesTest {

    @Test
    void everyLeakReachesItsLimitInTheLastQuarterOfItsRecording() {
        for (RecordedTraces.Recording recording : RecordedTraces.recordings()) {
            Trace trace = RecordedTraces.load(recording);
            double[] seconds = RecordedTraces.series(recording).timestampSeconds();
            double recordedMillis = (seconds[seconds.length - 1] - seconds[0]) * 1000;
            if (recording.leaks()) {
                assertThat(trace.limitReachedMillis()).as(recording.file())
                        .isGreaterThanOrEqualTo((long) (0.75 * recordedMillis));
            } else {
                assertThat(trace.reachesLimit()).as(recording.file()).isFalse();
            }
        }
    }

    @Test
    void theThreadLeakKeepsEveryThreadItStartsAndItsMemoryClimbsPastItsStartUpPeak() {
        TraceCsv.Series leak = RecordedTraces.series(recording("jvm-executor-per-request.csv"));
        double[][] quarters = quarters(leak.threads());
        for (int q = 1; q < quarters.length; q++) {
            assertThat(min(quarters[q])).as("threads of quarter %d over the previous quarter's", q + 1)
                    .isGreaterThan(max(quarters[q - 1]));
        }
        double[] threads = leak.threads();
        assertThat(threads[threads.length - 1]).isGreaterThan(20 * threads[0]);
        double[][] memory = quarters(leak.memoryBytes());
        assertThat(min(memory[3])).as("last quarter's lowest RSS over the first quarter's highest")
                .isGreaterThan(1.2 * max(memory[0]));
    }

    @Test
    void theHealthyTwinOfTheThreadLeakKeepsItsThreadsFew() {
        TraceCsv.Series healthy = RecordedTraces.series(recording("jvm-shared-executor.csv"));
        assertThat(max(healthy.threads())).isLessThan(40);
    }

    @Test
    void theNodeListenerLeakGrowsWithoutNewThreadsWhileItsTwinLevelsOff() {
        TraceCsv.Series leak = RecordedTraces.series(recording("node-listener-per-request.csv"));
        TraceCsv.Series healthy = RecordedTraces.series(recording("node-listener-removed.csv"));
        double[][] leakMemory = quarters(leak.memoryBytes());
        assertThat(min(leakMemory[3])).isGreaterThan(1.5 * max(leakMemory[0]));
        double[][] healthyMemory = quarters(healthy.memoryBytes());
        assertThat(max(healthyMemory[3])).as("the healthy twin's last quarter against its second")
                .isLessThan(1.2 * max(healthyMemory[1]));
        // Node's own threads (the main thread, libuv's pool, V8's workers): a leak without thread growth.
        assertThat(max(leak.threads())).isEqualTo(min(leak.threads()));
    }

    private static RecordedTraces.Recording recording(String file) {
        return RecordedTraces.recordings().stream().filter(r -> r.file().equals(file)).findFirst().orElseThrow();
    }

    private static double[][] quarters(double[] values) {
        double[][] quarters = new double[4][];
        for (int q = 0; q < 4; q++) {
            quarters[q] = Arrays.copyOfRange(values, q * values.length / 4, (q + 1) * values.length / 4);
        }
        return quarters;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }
}
