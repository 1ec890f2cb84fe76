package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.leakguard.fixtures.MetricsFixtures;
import dev.leakguard.text.BoundedText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Mutates the real fixtures (bit flips, truncation, inserted random bytes and syntax fragments,
 * duplicated chunks) and checks that the parser either returns or throws a well-formed
 * {@link MetricsParseException} — never another exception, never a hang.
 *
 * <p>The seed is fixed, so a run is reproducible; the default budget is jqwik's 1000 tries per
 * property (about a second). For a long run raise it on the command line, e.g.
 * {@code mvn -B -o test -Dtest=PrometheusTextParserFuzzTest -Djqwik.tries.default=500000}.
 * The watchdog only catches hangs: its limit is far above any real parse time.
 */
class PrometheusTextParserFuzzTest {

    private static final long HANG_LIMIT_SECONDS = 60;
    private static final List<String> SYNTAX_FRAGMENTS = List.of(
            "{", "}", "\"", "\\", "\n", "\r\n", "#", " ", "\t", ",", "=", "# EOF\n", " # {a=\"b\"} 1 2",
            "NaN", "+Inf", "-Inf", "1e308", "1e309", "-0", "{a=\"\\n\\\\\\\"\"}", "\u0000", "\u00ff", "\uFFFD",
            "# TYPE x gauge\n", "# HELP ", "go_goroutines 1\n", "jvm_memory_used_bytes{area=\"heap\",id=\"x\"} 1\n",
            "v".repeat(PrometheusTextParser.MAX_LABEL_VALUE_BYTES + 1),
            "x".repeat(PrometheusTextParser.MAX_LINE_BYTES + 1));

    private static final ExecutorService PARSER_THREAD = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "fuzzed-parse");
        thread.setDaemon(true);
        return thread;
    });

    /** Selectors naming every metric in every fixture, so mutations land on selected lines too. */
    private static final List<SeriesSelector> SELECTORS = selectorsForEveryFixtureMetric();

    @AfterContainer
    static void stopParserThread() {
        PARSER_THREAD.shutdownNow();
    }

    @Property(seed = "4242")
    void mutatedFixturesParseOrFailCleanly(@ForAll("fixtures") String fixture,
                                           @ForAll @Size(min = 1, max = 8) List<@From("mutations") Mutation> mutations) {
        byte[] body = MetricsFixtures.bytes(fixture);
        for (Mutation mutation : mutations) {
            body = mutation.apply(body);
        }
        assertParsesOrFailsCleanly(body);
    }

    @Property(seed = "2424")
    void randomBytesParseOrFailCleanly(@ForAll @Size(max = 2048) byte[] body) {
        assertParsesOrFailsCleanly(body);
    }

    @Example
    void unmutatedFixturesParse() {
        for (String fixture : MetricsFixtures.ALL) {
            byte[] body = MetricsFixtures.bytes(fixture);
            assertThat(extractWithWatchdog(body)).as(fixture).isNull();
        }
    }

    @Example
    void crlfLineEndsGiveTheSameValues() throws MetricsParseException {
        for (String fixture : MetricsFixtures.ALL) {
            byte[] body = MetricsFixtures.bytes(fixture);
            byte[] crlf = new String(body, StandardCharsets.UTF_8).replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);

            ExtractedValues unix = PrometheusTextParser.extract(body, body.length, SELECTORS);
            ExtractedValues windows = PrometheusTextParser.extract(crlf, crlf.length, SELECTORS);

            for (int i = 0; i < SELECTORS.size(); i++) {
                assertThat(windows.matches(i)).isEqualTo(unix.matches(i));
                assertThat(Double.valueOf(windows.value(i))).isEqualTo(Double.valueOf(unix.value(i)));
            }
        }
    }

    private static void assertParsesOrFailsCleanly(byte[] body) {
        MetricsParseException error = extractWithWatchdog(body);
        if (error != null) {
            long lines = 1 + new String(body, StandardCharsets.ISO_8859_1).chars().filter(c -> c == '\n').count();
            assertThat(error.lineNumber()).isBetween(1, (int) lines);
            assertThat(error.getMessage())
                    .startsWith("line " + error.lineNumber() + ": ")
                    .hasSizeLessThanOrEqualTo(BoundedText.MAX_MESSAGE_BYTES)
                    .doesNotContainPattern("\\p{Cntrl}");
        }
    }

    /** Runs the parser on its own thread; returns its MetricsParseException, null on success, fails otherwise. */
    private static MetricsParseException extractWithWatchdog(byte[] body) {
        Future<ExtractedValues> parse = PARSER_THREAD.submit(() -> PrometheusTextParser.extract(body, body.length, SELECTORS));
        try {
            parse.get(HANG_LIMIT_SECONDS, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof MetricsParseException parseError) {
                return parseError;
            }
            throw new AssertionError("parser threw something other than MetricsParseException", e.getCause());
        } catch (TimeoutException e) {
            parse.cancel(true);
            return fail("parser did not finish within %d s on %d bytes", HANG_LIMIT_SECONDS, body.length);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    private static List<SeriesSelector> selectorsForEveryFixtureMetric() {
        Set<String> names = new LinkedHashSet<>();
        Pattern sampleName = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)", Pattern.MULTILINE);
        for (String fixture : MetricsFixtures.ALL) {
            Matcher matcher = sampleName.matcher(new String(MetricsFixtures.bytes(fixture), StandardCharsets.UTF_8));
            while (matcher.find()) {
                names.add(matcher.group(1));
            }
        }
        List<SeriesSelector> selectors = new ArrayList<>();
        names.forEach(name -> selectors.add(SeriesSelector.parse(name)));
        selectors.add(SeriesSelector.parse("jvm_memory_used_bytes{area=\"heap\",id=~\"G1.*\"}"));
        selectors.add(SeriesSelector.parse("fixture_request_duration_seconds_bucket{le!=\"+Inf\",code=\"200\"}"));
        return selectors;
    }

    @Provide
    Arbitrary<String> fixtures() {
        return Arbitraries.of(MetricsFixtures.ALL);
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        Arbitrary<Double> where = Arbitraries.doubles().between(0, 1);
        return Arbitraries.oneOf(
                Combinators.combine(where, Arbitraries.integers().between(0, 7)).as(FlipBit::new),
                where.map(Truncate::new),
                Combinators.combine(where, Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(32))
                        .as(Insert::new),
                Combinators.combine(where, Arbitraries.of(SYNTAX_FRAGMENTS))
                        .as((at, text) -> new Insert(at, text.getBytes(StandardCharsets.UTF_8))),
                Combinators.combine(where, where, Arbitraries.integers().between(1, 4096)).as(DuplicateChunk::new),
                Combinators.combine(where, Arbitraries.integers().between(1, 512)).as(DeleteChunk::new));
    }

    /** One edit of a body; positions are fractions of its length so they suit any body. */
    sealed interface Mutation permits FlipBit, Truncate, Insert, DuplicateChunk, DeleteChunk {
        byte[] apply(byte[] body);

        static int index(double where, int length) {
            return (int) Math.min(length, Math.floor(where * length));
        }
    }

    record FlipBit(double where, int bit) implements Mutation {
        @Override
        public byte[] apply(byte[] body) {
            if (body.length == 0) {
                return body;
            }
            byte[] flipped = body.clone();
            int at = Math.min(body.length - 1, Mutation.index(where, body.length));
            flipped[at] ^= (byte) (1 << bit);
            return flipped;
        }
    }

    record Truncate(double where) implements Mutation {
        @Override
        public byte[] apply(byte[] body) {
            return Arrays.copyOf(body, Mutation.index(where, body.length));
        }
    }

    record Insert(double where, byte[] bytes) implements Mutation {
        @Override
        public byte[] apply(byte[] body) {
            int at = Mutation.index(where, body.length);
            byte[] grown = new byte[body.length + bytes.length];
            System.arraycopy(body, 0, grown, 0, at);
            System.arraycopy(bytes, 0, grown, at, bytes.length);
            System.arraycopy(body, at, grown, at + bytes.length, body.length - at);
            return grown;
        }

        @Override
        public String toString() {
            return "Insert[where=" + where + ", bytes=" + bytes.length + " bytes]";
        }
    }

    record DuplicateChunk(double from, double to, int length) implements Mutation {
        @Override
        public byte[] apply(byte[] body) {
            int start = Mutation.index(from, body.length);
            int chunk = Math.min(length, body.length - start);
            return new Insert(to, Arrays.copyOfRange(body, start, start + chunk)).apply(body);
        }
    }

    record DeleteChunk(double where, int length) implements Mutation {
        @Override
        public byte[] apply(byte[] body) {
            int start = Mutation.index(where, body.length);
            int stop = Math.min(body.length, start + length);
            byte[] shrunk = new byte[body.length - (stop - start)];
            System.arraycopy(body, 0, shrunk, 0, start);
            System.arraycopy(body, stop, shrunk, start, body.length - stop);
            return shrunk;
        }
    }
}
