package dev.leakguard.faults;

import dev.leakguard.policy.PrometheusUrlAllowList;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.operator.PolicyResolver;
import dev.leakguard.policy.Durations;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.policy.Quantities;
import dev.leakguard.scrape.ScrapeUrls;
import dev.leakguard.scrape.parse.SeriesSelector;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Property tests for the text a LeakPolicy author controls, which the operator parses on every
 * reconcile (a cluster whose CRD lacks the schema patterns lets anything through): selectors,
 * durations, quantities and scrape paths either parse or fail with IllegalArgumentException,
 * quickly; an accepted path never moves the request off the pod's IP; and the resolver never
 * throws on any combination.
 *
 * <p>Seeds are fixed, so a run is reproducible, and the budget is jqwik's default of 1000 tries
 * per property (about a second each). A long run raises the tries on the command line:
 * {@code mvn -B -o test -Dtest=SpecTextFuzzTest -Djqwik.tries.default=200000}; to explore other
 * inputs, change the {@code seed} of a property.
 */
class SpecTextFuzzTest {
    /** Only catches hangs (a quadratic parse of a long string takes minutes); real parses take microseconds. */
    private static final long HANG_LIMIT_SECONDS = 30;
    private static final ExecutorService PARSER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "spec-text-fuzz");
        t.setDaemon(true);
        return t;
    });
    private static final List<String> PATH_TOKENS = List.of("/", "/", "metrics", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c",
            "%40", "%00", "%0a", "%25", "%", "@", "\\", ":", "::", "?", "#", "//", "127.0.0.1", "evil.example:80", "http:",
            "HTTP://", "~", " ", "\t", "\n", "\u2028", "é", "%C0%AE", ";", "=", "&", "debug=1");
    private static final List<String> SELECTOR_TOKENS = List.of("go_goroutines", "x", "{", "}", "\"", "'", "\\", "=", "!=", "=~",
            "!~", ",", "a", "b.*", "(", ")", "[", "|", "*", "+", "?", " ", "\n", "\\n", "\\\"", "__name__", ":", "1", "é", "\u0000");
    private static final List<String> NUMBER_TOKENS = List.of("0", "1", "9", "15", "1.5", ".", "..", "e", "E", "+", "-", "Ki", "Mi",
            "Gi", "Ei", "m", "u", "n", "k", "M", "G", "T", "P", "E", "ms", "s", "h", "d", "y", " ", "1e308", "99999999999999999999", "NaN",
            "Infinity", "\u0661");

    @AfterContainer
    static void stopParser() {
        PARSER.shutdownNow();
    }

    @Property(seed = "8001")
    void seriesSelectorsParseOrThrowIllegalArgumentAndRoundTrip(@ForAll("selectorText") String text) {
        SeriesSelector parsed = parsesOrThrowsIllegalArgument(() -> SeriesSelector.parse(text));
        if (parsed != null) {
            assertThat(SeriesSelector.parse(parsed.toString()).toString()).isEqualTo(parsed.toString());
        }
    }

    @Property(seed = "8002")
    void durationsParseOrThrowIllegalArgument(@ForAll("numberText") String text) {
        Duration parsed = parsesOrThrowsIllegalArgument(() -> Durations.parse(text));
        if (parsed != null) {
            assertThat(parsed.isNegative()).isFalse();
        }
    }

    @Property(seed = "8003")
    void quantitiesParseOrThrowIllegalArgument(@ForAll("numberText") String text) {
        parsesOrThrowsIllegalArgument(() -> Quantities.parse(text));
        Double bytes = parsesOrThrowsIllegalArgument(() -> Quantities.parseBytes(text));
        if (bytes != null) {
            assertThat(bytes).isGreaterThanOrEqualTo(1.0);
        }
    }

    /** Whatever path is accepted, the URL still goes to the pod's IP and port, with no user info and no climbing out. */
    @Property(seed = "8004")
    void anAcceptedPathNeverChangesTheHost(@ForAll("pathText") String path) {
        String problem = ScrapeUrls.validatePath(path);
        if (problem != null) {
            assertThat(problem).isNotBlank().doesNotContainPattern("\\p{Cntrl}");
            assertThatThrownBy(() -> ScrapeUrls.build("10.1.2.3", 9090, path)).isInstanceOf(IllegalArgumentException.class);
            return;
        }
        URI uri = ScrapeUrls.build("10.1.2.3", 9090, path);
        assertThat(uri.getScheme()).isEqualTo("http");
        assertThat(uri.getHost()).isEqualTo("10.1.2.3");
        assertThat(uri.getPort()).isEqualTo(9090);
        assertThat(uri.getRawUserInfo()).isNull();
        assertThat(uri.getRawFragment()).isNull();
        assertThat(uri.getPath().split("/")).doesNotContain("..");
        assertThat(uri.normalize().getHost()).isEqualTo("10.1.2.3");
    }

    /** Any text in any field: the resolver reports problems, it never throws. */
    @Property(seed = "8005")
    void theResolverNeverThrows(@ForAll("pathText") String path, @ForAll("selectorText") String memory,
                                @ForAll("numberText") String interval, @ForAll("numberText") String window,
                                @ForAll("numberText") String limit, @ForAll("numberText") String port) {
        LeakPolicy policy = new LeakPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("fuzz").withNamespace("shop").withGeneration(1L).build());
        policy.getSpec().setSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("app", "x")).build());
        policy.getSpec().getMetrics().setPath(path);
        policy.getSpec().getMetrics().setMemory(memory);
        policy.getSpec().getMetrics().setThreads(memory);
        policy.getSpec().getMetrics().setInterval(interval);
        policy.getSpec().getMetrics().setPort(port.chars().allMatch(Character::isDigit) && !port.isEmpty() && port.length() < 10
                ? new IntOrString(Integer.parseInt(port)) : new IntOrString(port));
        policy.getSpec().getProfile().setType(ProfileType.go);
        policy.getSpec().getProfile().setPath(path);
        policy.getSpec().getDetection().setWindow(window);
        policy.getSpec().getDetection().setHorizon(interval);
        policy.getSpec().getDetection().setMemoryLimit(limit);
        policy.getSpec().getAction().setCooldown(window);

        PolicyResolver.Result result = withWatchdog(() -> new PolicyResolver(PrometheusUrlAllowList.none()).resolve(policy));
        if (result instanceof PolicyResolver.Invalid invalid) {
            assertThat(invalid.problems()).isNotEmpty();
        }
    }

    @Example
    void longRunsOfDigitsAreRejectedQuickly() {
        String digits = "1".repeat(100_000);
        parsesOrThrowsIllegalArgument(() -> Durations.parse(digits));
        parsesOrThrowsIllegalArgument(() -> Durations.parse(digits + "s"));
        parsesOrThrowsIllegalArgument(() -> Quantities.parse(digits + "x"));
        parsesOrThrowsIllegalArgument(() -> SeriesSelector.parse("a{b=\"" + digits));
        assertThat(withWatchdog(() -> ScrapeUrls.validatePath("/" + "%2e".repeat(100_000)))).isNotNull();
    }

    @Provide
    Arbitrary<String> pathText() {
        return Arbitraries.oneOf(tokens(PATH_TOKENS, 12), Arbitraries.strings().ofMaxLength(40));
    }

    @Provide
    Arbitrary<String> selectorText() {
        return Arbitraries.oneOf(tokens(SELECTOR_TOKENS, 16), Arbitraries.strings().ofMaxLength(40));
    }

    @Provide
    Arbitrary<String> numberText() {
        return Arbitraries.oneOf(tokens(NUMBER_TOKENS, 6), Arbitraries.strings().ofMaxLength(20));
    }

    private static Arbitrary<String> tokens(List<String> tokens, int maxTokens) {
        return Arbitraries.of(tokens).list().ofMinSize(1).ofMaxSize(maxTokens).map(list -> String.join("", list));
    }

    /** The value, or null when the parser threw IllegalArgumentException; any other outcome fails. */
    private static <T> T parsesOrThrowsIllegalArgument(Supplier<T> parse) {
        try {
            return withWatchdog(parse);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
            return null;
        }
    }

    private static <T> T withWatchdog(Supplier<T> work) {
        Future<T> running = PARSER.submit(work::get);
        try {
            return running.get(HANG_LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                if (runtime instanceof IllegalArgumentException illegal) {
                    throw illegal;
                }
                throw new AssertionError("threw " + runtime, runtime);
            }
            throw new AssertionError(e.getCause());
        } catch (TimeoutException e) {
            running.cancel(true);
            return fail("did not finish within %d s", HANG_LIMIT_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }
}
