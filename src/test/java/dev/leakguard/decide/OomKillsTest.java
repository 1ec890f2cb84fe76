package dev.leakguard.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.decide.OomKills.Termination;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OomKillsTest {
    static Stream<Arguments> cases() {
        Termination killedNow = Termination.current("app", 2, "OOMKilled");
        Termination killedLast = Termination.last("app", 3, "OOMKilled");
        return Stream.of(
                Arguments.of("first OOM kill appears as last state", List.of(), List.of(Termination.last("app", 1, "OOMKilled")), 1),
                Arguments.of("same status delivered again", List.of(killedLast), List.of(killedLast), 0),
                Arguments.of("terminated now, then restarted: one kill", List.of(killedNow), List.of(killedLast), 0),
                Arguments.of("restart count rose with OOMKilled again", List.of(killedLast),
                        List.of(Termination.last("app", 4, "OOMKilled")), 1),
                Arguments.of("restart count rose for another reason", List.of(killedLast),
                        List.of(Termination.last("app", 4, "Error")), 0),
                Arguments.of("a crash before is not a kill now", List.of(Termination.last("app", 3, "Error")),
                        List.of(Termination.last("app", 3, "Error")), 0),
                Arguments.of("two containers killed", List.of(),
                        List.of(Termination.last("app", 1, "OOMKilled"), Termination.last("sidecar", 1, "OOMKilled")), 2),
                Arguments.of("current and last state of one kill count once", List.of(),
                        List.of(Termination.last("app", 3, "OOMKilled"), Termination.current("app", 2, "OOMKilled")), 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachKillIsCountedOnce(String name, List<Termination> before, List<Termination> after, int expected) {
        assertThat(OomKills.newKills(before, after)).hasSize(expected);
    }
}
