package dev.leakguard.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.trend.Verdict;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class PodAnnotationsTest {
    private static final long REFRESH = 300_000;

    static Stream<Arguments> cases() {
        Map<String, String> none = Map.of();
        Map<String, String> healthy = Map.of(PodAnnotations.VERDICT, "healthy", PodAnnotations.SECONDS_TO_LIMIT, "+Inf",
                PodAnnotations.MEMORY_GROWTH, "+0B/min");
        Map<String, String> suspect = Map.of(PodAnnotations.VERDICT, "suspect", PodAnnotations.SECONDS_TO_LIMIT, "1200",
                PodAnnotations.MEMORY_GROWTH, "+2Mi/min");
        Map<String, String> suspectLater = Map.of(PodAnnotations.VERDICT, "suspect", PodAnnotations.SECONDS_TO_LIMIT, "1100",
                PodAnnotations.MEMORY_GROWTH, "+2.1Mi/min");
        Map<String, String> insufficient = Map.of(PodAnnotations.VERDICT, "insufficient_data");
        return Stream.of(
                Arguments.of("never annotated and healthy: nothing to say", none, healthy, Long.MAX_VALUE, false),
                Arguments.of("never annotated, insufficient data", none, insufficient, Long.MAX_VALUE, false),
                Arguments.of("first suspicion is written at once", none, suspect, 0L, true),
                Arguments.of("recovery clears an earlier verdict at once", suspect, healthy, 0L, true),
                Arguments.of("same numbers are never rewritten", suspect, suspect, Long.MAX_VALUE, false),
                Arguments.of("new numbers wait for the refresh", suspect, suspectLater, REFRESH - 1, false),
                Arguments.of("new numbers after the refresh", suspect, suspectLater, REFRESH, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void writesVerdictsAtOnceAndNumbersAtMostEveryRefresh(String name, Map<String, String> written, Map<String, String> wanted,
                                                          long sinceLastWrite, boolean write) {
        assertThat(PodAnnotations.shouldWrite(written, wanted, sinceLastWrite, REFRESH)).isEqualTo(write);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Verdict.class)
    void onlyANeverAnnotatedPodWithNothingToReportStaysUnannotated(Verdict verdict) {
        boolean quiet = verdict == Verdict.HEALTHY || verdict == Verdict.INSUFFICIENT_DATA || verdict == Verdict.UNKNOWN;
        assertThat(PodAnnotations.staysUnannotated(Map.of(), verdict)).isEqualTo(quiet);
        assertThat(PodAnnotations.staysUnannotated(Map.of(PodAnnotations.VERDICT, "suspect"), verdict)).isFalse();
    }

    @Test
    void secondsToLimitIsRoundedToTwoSignificantFiguresSoItIsNotRewrittenEveryScrape() {
        assertThat(PodAnnotations.roundedSeconds(73)).isEqualTo("73");
        assertThat(PodAnnotations.roundedSeconds(8412)).isEqualTo("8400");
        assertThat(PodAnnotations.roundedSeconds(845)).isEqualTo("850");
        assertThat(PodAnnotations.roundedSeconds(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    }
}
