package dev.leakguard.operator;

import dev.leakguard.scrape.ScrapeAccess;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.api.PodRisk;
import dev.leakguard.engine.LimitSource;
import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PodPipeline;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.ProfileSnapshot;
import dev.leakguard.profile.Grouping;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.scrape.parse.ProfileFixtures;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A busy program's profile fetched from a real loopback endpoint and grouped as the operator does,
 * and what the evidence summary and the policy status say about goroutines without frames and
 * records the parser skipped.
 */
class ProfileCollectorTest {

    private static final String BUSY = "go/redisleak-go1.26-leak-rps20.debug1.txt";
    private static final String BUSY_DEBUG2 = "go/redisleak-go1.26-leak-rps20.debug2.txt";
    private static final String REAPER_FRAME = "gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper(";

    private HttpServer server;
    private HttpFetcher fetcher;
    private ProfileCollector collector;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serve("/busy", ProfileFixtures.text(BUSY));
        serve("/damaged", withOneUnreadableGoroutine(ProfileFixtures.text(BUSY_DEBUG2)));
        server.start();
        fetcher = new HttpFetcher(2);
        collector = new ProfileCollector(fetcher, FetchLimits.profileDefaults());
    }

    @AfterEach
    void stop() {
        fetcher.close();
        server.stop(0);
    }

    @Test
    void aBusyProgramsFramelessRecordsAreCountedAndNamedInTheEvidenceButNotSkipped() {
        ProfileSnapshot snapshot = collector.capture(ProfileType.go, uri("/busy"), ScrapeAccess.PLAIN_HTTP).join();

        assertThat(snapshot.ok()).as(snapshot.error()).isTrue();
        long frameless = snapshot.groups().count(Grouping.NO_FRAMES_KEY);
        assertThat(frameless).isPositive();
        assertThat(snapshot.skipped()).isNull();
        assertThat(PodPipeline.profileSummary(ProfileType.go, snapshot)).isEqualTo("Profile: " + snapshot.groups().total()
                + " goroutines in " + snapshot.groups().size() + " groups; " + frameless
                + " without frames (starting or exiting, not ranked)\n");
    }

    @Test
    void anUnreadableGoroutineIsSkippedAndTheEvidenceAndTheStatusSaySo() {
        ProfileSnapshot snapshot = collector.capture(ProfileType.go, uri("/damaged"), ScrapeAccess.PLAIN_HTTP).join();

        assertThat(snapshot.ok()).as(snapshot.error()).isTrue();
        String skipped = snapshot.skipped();
        assertThat(skipped).startsWith("skipped: 1 record (at line ").contains("expected a frame \"function(args)\"");
        assertThat(PodPipeline.profileSummary(ProfileType.go, snapshot)).endsWith("; " + skipped + "\n");

        PodRisk risk = statusOf(new PodView(new PodKey("shop", "checkout-1"), Verdict.LEAKING, leaking(),
                null, List.of("+900 goroutines " + REAPER_FRAME), skipped, "leakguard-evidence-checkout-1", LimitSource.CONTAINER_SPEC, null));
        assertThat(risk.getProfileSkipped()).isEqualTo(skipped);
    }

    /** One reaper goroutine's frame line replaced by what the runtime prints when it cannot unwind a stack. */
    private static String withOneUnreadableGoroutine(String debug2) {
        int frame = debug2.indexOf("\n" + REAPER_FRAME) + 1;
        int lineEnd = debug2.indexOf('\n', frame);
        return debug2.substring(0, frame) + "runtime: g 77: unexpected return pc for main.f called from 0x0" + debug2.substring(lineEnd);
    }

    private static PodRisk statusOf(PodView view) {
        LeakPolicy policy = TestPolicies.fromSpec("shop", "checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: {port: metrics}
                profile: {type: go}
                """);
        policy.getMetadata().setGeneration(1L);
        return new StatusBuilder(ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), 1))
                .watching(policy, List.of(view), Map.of(), 0, 0).getRiskiestPods().get(0);
    }

    private static Assessment leaking() {
        return new Assessment(Verdict.LEAKING, 400e6, 512e6, 1e5, 1000, 1, 600, 500, 0.9, 0.99, 120, "leaking");
    }

    /** A dump is large and shrinks about tenfold, and is fetched once per suspicion: enableCompression: false leaves it gzip. */
    @Test
    void aProfileIsAskedForGzipEvenWhenThePolicyTurnsCompressionOff() {
        AtomicReference<String> acceptEncoding = new AtomicReference<>();
        byte[] dump = ProfileFixtures.text(BUSY).getBytes(StandardCharsets.UTF_8);
        server.createContext("/recording", exchange -> {
            acceptEncoding.set(exchange.getRequestHeaders().getFirst("Accept-Encoding"));
            exchange.sendResponseHeaders(200, dump.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(dump);
            }
        });

        ProfileSnapshot snapshot = collector.capture(ProfileType.go, uri("/recording"), ScrapeAccess.PLAIN_HTTP.withCompression(false)).join();

        assertThat(snapshot.ok()).as(snapshot.error()).isTrue();
        assertThat(acceptEncoding.get()).isEqualTo("gzip");
    }

    private void serve(String path, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        server.createContext(path, exchange -> {
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }
}
