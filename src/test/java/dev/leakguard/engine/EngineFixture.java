package dev.leakguard.engine;

import dev.leakguard.policy.ScrapeAuth;
import dev.leakguard.testing.TestingClock;
import dev.leakguard.decide.PodSelector;
import dev.leakguard.decide.RestartLoopRule;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.policy.ActionType;
import dev.leakguard.policy.MetricsSource;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.GroupCounts;
import dev.leakguard.profile.Grouping;
import dev.leakguard.profile.StackRecord;
import dev.leakguard.scrape.parse.SeriesSelector;
import dev.leakguard.trend.DetectionSettings;
import dev.leakguard.trend.Sample;
import dev.leakguard.trend.Verdict;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The engine on a manual clock with {@code Testing*} fakes of every port, and pods whose memory
 * grows 20 MiB a minute towards a 512 MiB limit (goroutines 25 a minute), read every 15 s.
 */
final class EngineFixture {
    static final Instant START = Instant.parse("2027-01-15T08:00:00Z");
    static final Duration INTERVAL = Duration.ofSeconds(15);
    static final double MIB = 1024 * 1024;
    static final double LIMIT = 512 * MIB;
    /** Enough readings for any verdict of the leak below; a test that needs more has found a bug. */
    private static final int MAX_READINGS = 200;

    final TestingClock clock = new TestingClock(START);
    final CallLog log = new CallLog();
    final TestingEvents events = new TestingEvents(log);
    final TestingAnnotations annotations = new TestingAnnotations(log);
    final TestingEvidence evidence = new TestingEvidence(log);
    final TestingRestarter restarter = new TestingRestarter(log);
    final TestingProfiles profiles = new TestingProfiles(log);
    final List<PolicyKey> verdictChanges = new ArrayList<>();
    final PodPipeline pipeline;

    EngineFixture(PodActions actions) {
        pipeline = new PodPipeline(clock, new Ports(events, annotations, evidence, restarter, profiles), actions, OperatorMetrics.NONE,
                key -> {
                    synchronized (verdictChanges) {
                        verdictChanges.add(key);
                    }
                });
    }

    /** A policy with a 5 m window, 1 m warm-up and 4 m horizon, a goroutine profile and the given action. */
    static ResolvedPolicy policy(ActionType action) {
        DetectionSettings detection = new DetectionSettings(Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofMinutes(4),
                INTERVAL, Double.NaN);
        return new ResolvedPolicy(new PolicyRef("shop", "go-services", "policy-uid"), PodSelector.labels(Map.of("app", "checkout")),
                MetricsSource.pods, null, MetricsPort.named("metrics"), "/metrics", SeriesSelector.parse("process_resident_memory_bytes"),
                SeriesSelector.parse("go_goroutines"), ProfileType.go, MetricsPort.named("metrics"), "/debug/pprof/goroutine?debug=1", 5, detection,
                new RestartSettings(action, false, 1, Duration.ofMinutes(10), 10, RestartLoopRule.DEFAULT), ScrapeAuth.PLAIN_HTTP);
    }

    /** A watched pod, its container started now. */
    LeakingPod pod(ResolvedPolicy policy, String name) {
        URI base = URI.create("http://10.0.0." + (name.hashCode() & 0xff) + ":9090");
        ScrapeTarget target = new ScrapeTarget(new PodKey("shop", name), name + "-uid", "app", base.resolve("/metrics"),
                base.resolve("/debug/pprof/goroutine?debug=1"), LIMIT, LimitSource.CONTAINER_SPEC, clock.millis(), 0);
        return new LeakingPod(policy, new PodState(target, Map.of(), policy.detection().withMemoryLimitBytes(LIMIT)), clock.millis());
    }

    /** Goroutine profiles with {@code reapers} Redis pool reapers and a steady HTTP server. */
    static GroupCounts profile(int reapers) {
        return Grouping.group(ProfileType.go, List.of(
                new StackRecord(null, "chan receive", List.of("gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper"),
                        "gopkg.in/redis.v5/internal/pool.NewConnPool", reapers),
                new StackRecord(null, "IO wait", List.of("net/http.(*Server).Serve"), "main.main", 3)));
    }

    /** One watched pod and the readings it produces. */
    final class LeakingPod {
        final ResolvedPolicy policy;
        final PodState state;
        private final long startMillis;

        LeakingPod(ResolvedPolicy policy, PodState state, long startMillis) {
            this.policy = policy;
            this.state = state;
            this.startMillis = startMillis;
        }

        /** The reading of now: memory from 100 MiB at +20 MiB/min, goroutines from 50 at +25/min. */
        Reading reading() {
            double minutes = (clock.millis() - startMillis) / 60_000.0;
            Sample sample = new Sample(clock.millis(), 100 * MIB + 20 * MIB * minutes, 50 + 25 * minutes, startMillis, 0);
            return new Reading.Ok(sample, 1_000_000, System.nanoTime());
        }

        void read() {
            pipeline.onReading(policy, state, reading());
        }

        void failRead() {
            pipeline.onReading(policy, state, new Reading.Failed("connection", "connection refused", 1_000_000));
        }

        Verdict verdict() {
            return state.effectiveVerdict();
        }
    }

    /**
     * Moves the clock one interval and reads every pod, running what they decided with {@code then},
     * until the first pod reaches {@code verdict}.
     */
    void readUntil(Verdict verdict, Runnable then, LeakingPod... pods) {
        for (int i = 0; i < MAX_READINGS; i++) {
            clock.advance(INTERVAL);
            for (LeakingPod pod : pods) {
                pod.read();
            }
            then.run();
            if (pods[0].verdict() == verdict) {
                return;
            }
        }
        throw new AssertionError("no " + verdict + " within " + MAX_READINGS + " readings; last: " + pods[0].state.assessment());
    }

    /** Moves the clock one interval and reads the pod once more. */
    void readAgain(LeakingPod pod, Runnable then) {
        clock.advance(INTERVAL);
        pod.read();
        then.run();
    }
}
