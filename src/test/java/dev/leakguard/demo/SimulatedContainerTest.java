package dev.leakguard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.GroupCounts;
import dev.leakguard.profile.Grouping;
import dev.leakguard.scrape.parse.GoroutineProfileParser;
import dev.leakguard.scrape.parse.JvmThreadDumpParser;
import dev.leakguard.time.ScaledClock;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The demo's simulated profiles must be readable by the operator's own parsers, or the demo's Events name no groups. */
class SimulatedContainerTest {
    @ParameterizedTest
    @CsvSource({
        "GO_REDIS_CLIENT_LEAK, go, /debug/pprof/goroutine, (*ConnPool).reaper",
        "JVM_THREAD_POOL_LEAK, jvm, /actuator/threaddump, pool-N-thread-N"})
    void leakingProfilesParseAndShowTheLeakingGroup(SimulatedContainer.Behaviour behaviour, ProfileType type, String path,
                                                    String leakingGroup) throws Exception {
        ScaledClock clock = ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), 60_000);
        try (SimulatedContainer container = new SimulatedContainer(behaviour, clock, 1)) {
            Thread.sleep(100); // ~100 simulated minutes: the leaked group is there
            HttpResponse<InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + container.port() + path)).build(), HttpResponse.BodyHandlers.ofInputStream());
            Grouping.Sink sink = Grouping.sink(type);
            try (InputStream body = response.body()) {
                if (type == ProfileType.go) {
                    GoroutineProfileParser.parse(body, 32 << 20, sink);
                } else {
                    JvmThreadDumpParser.parse(body, 32 << 20, sink);
                }
            }
            GroupCounts groups = sink.counts();
            assertThat(groups.groups()).anySatisfy(group -> {
                assertThat(group.description()).contains(leakingGroup);
                assertThat(group.count()).isGreaterThan(100);
            });
        }
    }
}
