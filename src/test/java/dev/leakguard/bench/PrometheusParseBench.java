package dev.leakguard.bench;

import dev.leakguard.fixtures.MetricsFixtures;
import dev.leakguard.scrape.parse.ExtractedValues;
import dev.leakguard.scrape.parse.MetricsParseException;
import dev.leakguard.scrape.parse.PrometheusTextParser;
import dev.leakguard.scrape.parse.SeriesSelector;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Extraction speed of two series from the real captured bodies; the {@code megabytes} counter is
 * the throughput in MB/s (10^6 bytes). Target: at least 200 MB/s per core.
 *
 * <p>{@code mvn -B test-compile exec:exec@bench -Dbench.args="PrometheusParseBench -f 1 -wi 2 -i 3"}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class PrometheusParseBench {

    @Param({MetricsFixtures.GO_PROMETHEUS_TEXT, MetricsFixtures.GO_OPENMETRICS,
            MetricsFixtures.JVM_PROMETHEUS_TEXT, MetricsFixtures.JVM_OPENMETRICS})
    public String fixture;

    private byte[] body;
    private List<SeriesSelector> selectors;

    /** Bytes parsed, in MB; JMH divides it by the measured time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Throughput {
        public double megabytes;

        @Setup(Level.Iteration)
        public void reset() {
            megabytes = 0;
        }
    }

    @Setup
    public void load() {
        body = MetricsFixtures.bytes(fixture);
        selectors = fixture.startsWith("go-")
                ? List.of(SeriesSelector.parse("process_resident_memory_bytes"), SeriesSelector.parse("go_goroutines"))
                : List.of(SeriesSelector.parse("jvm_memory_used_bytes{area=\"heap\"}"),
                        SeriesSelector.parse("jvm_threads_live_threads"));
    }

    @Benchmark
    public ExtractedValues extractTwoSeries(Throughput throughput) throws MetricsParseException {
        throughput.megabytes += body.length / 1e6;
        return PrometheusTextParser.extract(body, body.length, selectors);
    }
}
