package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.GroupCounts;
import dev.leakguard.profile.Grouping;
import dev.leakguard.profile.GrowthRanking;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing over the real fixtures: every mutant, fed to both parsers, must
 * either parse or fail with {@link ProfileParseException} — no other exception, no hang.
 *
 * <p>The default budget is small enough for every build. A long run:
 * <pre>
 * mvn -B -o test -Dtest=ProfileParserFuzzTest -Dleakguard.fuzz.iterations=1000000 -Dleakguard.fuzz.seed=$RANDOM
 * </pre>
 * A failing mutant is written to {@code target/fuzz-failures/} and the message names the seed
 * and iteration, so {@code -Dleakguard.fuzz.seed=S} replays the run.
 */
class ProfileParserFuzzTest {

    private static final long ITERATIONS = Long.getLong("leakguard.fuzz.iterations", 3000);
    private static final long SEED = Long.getLong("leakguard.fuzz.seed", 20261126L);
    /** A hang detector, not a speed check: a mutant of at most ~1 MB parses in milliseconds. */
    private static final long HANG_SECONDS = 60;

    private static final String[] STRUCTURAL_TOKENS = {
            "goroutine 1 [", "goroutine 18446744073709551615 [running]:\n", "]:\n", "created by ", " in goroutine ",
            "...additional frames elided...\n", "\t", "\n", "\n\n", "\r\n", "#\t0x", "# labels: {", "@ 0x", " @ ",
            "goroutine profile: total 99999999999999999999\n", "9223372036854775807 @ 0x1\n", "(", ")", "+0x",
            "\"", "\" #1 prio=5\n", "\" - Thread t@1\n", "   java.lang.Thread.State: ", "\tat ", "\t- ", "Full thread dump x\n",
            "   Locked ownable synchronizers:\n", "JNI global refs: 1\n", "{", "}", "[", "]", ":", ",", "null", "\"threads\":",
            "\"threadName\":", "\"stackTrace\":[{", "\\u0000", "\uFEFF", "\u0000", "\u00ff\u00fe", "€", "\uD83D\uDE00", "/0x", "$$Lambda$"};

    private static ExecutorService worker;
    private static List<byte[]> fixtures;

    @BeforeAll
    static void start() {
        worker = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "fuzz-parser");
            thread.setDaemon(true);
            return thread;
        });
        fixtures = new ArrayList<>();
        for (String name : ProfileFixtures.GO) {
            fixtures.add(ProfileFixtures.bytes(name));
        }
        for (String name : ProfileFixtures.JVM) {
            fixtures.add(ProfileFixtures.bytes(name));
        }
    }

    @AfterAll
    static void stop() {
        worker.shutdownNow();
    }

    @Test
    void mutantsOfRealProfilesParseOrFailCleanly() throws Exception {
        Random random = new Random(SEED);
        Map<Boolean, Long> outcomes = new HashMap<>();
        for (long iteration = 0; iteration < ITERATIONS; iteration++) {
            // Small fixtures most of the time keep the default budget quick; the big ones still get their share.
            byte[] original = fixtures.get(random.nextInt(4) == 0 ? random.nextInt(fixtures.size()) : smallFixture(random));
            List<String> applied = new ArrayList<>();
            byte[] mutant = original;
            int mutations = 1 + random.nextInt(3);
            for (int m = 0; m < mutations; m++) {
                mutant = mutate(mutant, random, applied);
            }
            for (ProfileType type : List.of(ProfileType.go, ProfileType.jvm)) {
                outcomes.merge(parsesOrFailsCleanly(type, mutant, iteration, applied), 1L, Long::sum);
            }
        }
        // The mutants must exercise both paths, or the fuzzing proves little.
        assertThat(outcomes).containsKeys(true, false);
    }

    private int smallFixture(Random random) {
        List<Integer> small = new ArrayList<>();
        for (int i = 0; i < fixtures.size(); i++) {
            if (fixtures.get(i).length < 100_000) {
                small.add(i);
            }
        }
        return small.get(random.nextInt(small.size()));
    }

    /** True when the mutant parsed, false when it failed with a ProfileParseException. */
    private static boolean parsesOrFailsCleanly(ProfileType type, byte[] mutant, long iteration, List<String> applied)
            throws InterruptedException {
        Future<Boolean> outcome = worker.submit(() -> {
            Grouping.Sink sink = Grouping.sink(type, 50);
            try {
                ProfileFixtures.parse(type, mutant, sink);
            } catch (ProfileParseException e) {
                assertThat(e.getMessage()).doesNotContainPattern("\\p{Cntrl}").hasSizeLessThan(400);
                return false;
            }
            GroupCounts counts = sink.counts();
            GrowthRanking.rank(counts, counts, 5);
            GrowthRanking.rank(null, counts, 5).forEach(growth -> growth.describe(type.unitNoun()));
            return true;
        });
        try {
            return outcome.get(HANG_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw failure(type, mutant, iteration, applied, "threw " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            outcome.cancel(true);
            throw failure(type, mutant, iteration, applied, "did not finish within " + HANG_SECONDS + " s", null);
        }
    }

    private static AssertionError failure(ProfileType type, byte[] mutant, long iteration, List<String> applied,
                                          String problem, Throwable cause) {
        Path saved = Path.of("target", "fuzz-failures", "seed-" + SEED + "-iteration-" + iteration + "-" + type + ".txt");
        try {
            Files.createDirectories(saved.getParent());
            Files.write(saved, mutant);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        AssertionError error = new AssertionError(type + " parser " + problem + " on mutant (seed " + SEED + ", iteration "
                + iteration + ", mutations " + applied + "), saved to " + saved);
        if (cause != null) {
            error.initCause(cause);
        }
        return error;
    }

    private static byte[] mutate(byte[] input, Random random, List<String> applied) {
        int kind = random.nextInt(8);
        int at = input.length == 0 ? 0 : random.nextInt(input.length + 1);
        switch (kind) {
            case 0 -> {
                applied.add("truncate@" + at);
                return Arrays.copyOf(input, at);
            }
            case 1 -> {
                byte[] flipped = input.clone();
                int flips = 1 + random.nextInt(8);
                for (int i = 0; i < flips && flipped.length > 0; i++) {
                    flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
                }
                applied.add("flip" + flips);
                return flipped;
            }
            case 2 -> {
                int length = Math.min(input.length - at, random.nextInt(300));
                applied.add("delete@" + at + "+" + length);
                return splice(input, at, length, new byte[0]);
            }
            case 3 -> {
                int length = Math.min(input.length - at, random.nextInt(2000));
                applied.add("duplicate@" + at + "+" + length);
                return splice(input, at, 0, Arrays.copyOfRange(input, at, at + length));
            }
            case 4 -> {
                byte[] noise = new byte[1 + random.nextInt(64)];
                random.nextBytes(noise);
                applied.add("noise@" + at);
                return splice(input, at, 0, noise);
            }
            case 5 -> {
                String token = STRUCTURAL_TOKENS[random.nextInt(STRUCTURAL_TOKENS.length)];
                applied.add("token@" + at);
                return splice(input, at, 0, token.getBytes(StandardCharsets.UTF_8));
            }
            case 6 -> {
                byte[] other = fixtures.get(random.nextInt(fixtures.size()));
                int from = random.nextInt(other.length + 1);
                applied.add("graft@" + at);
                return splice(input, at, input.length - at, Arrays.copyOfRange(other, from, Math.min(other.length, from + 5000)));
            }
            default -> {
                byte[] longLine = new byte[ProfileLimits.MAX_LINE_BYTES + random.nextInt(100) - 50];
                Arrays.fill(longLine, (byte) "ax\t\"{".charAt(random.nextInt(5)));
                applied.add("longline@" + at);
                return splice(input, at, 0, longLine);
            }
        }
    }

    private static byte[] splice(byte[] input, int at, int removed, byte[] inserted) {
        byte[] out = new byte[input.length - removed + inserted.length];
        System.arraycopy(input, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(input, at + removed, out, at + inserted.length, input.length - at - removed);
        return out;
    }

    @Test
    void theMutatorIsDeterministicForASeed() {
        Function<Long, String> run = seed -> {
            Random random = new Random(seed);
            List<String> applied = new ArrayList<>();
            byte[] mutant = fixtures.get(0);
            for (int i = 0; i < 20; i++) {
                mutant = mutate(mutant, random, applied);
            }
            return applied + ":" + Arrays.hashCode(mutant);
        };
        assertThat(run.apply(7L)).isEqualTo(run.apply(7L));
        if (run.apply(7L).equals(run.apply(8L))) {
            fail("different seeds should give different mutants");
        }
    }
}
