package dev.leakguard.operator;

import dev.leakguard.engine.PodKey;
import dev.leakguard.engine.PodPipeline;
import dev.leakguard.engine.PodSamples;
import dev.leakguard.engine.PodState;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.engine.Reading;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.SampleKeeper;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.policy.MetricsSource;
import dev.leakguard.time.ScaledClock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one scrape loop per watched pod, like Prometheus owns its scrape loops: the reconciler only
 * hands over the current set of targets. Each loop starts at a pod-specific offset inside the
 * interval, so thousands of pods do not all scrape in the same millisecond; a loop whose previous
 * scrape is still running skips a beat rather than piling up requests.
 *
 * <p>The loops tick on the fetcher's event loop ({@link dev.leakguard.scrape.HttpFetcher#timer()}), the thread their
 * scrapes run and complete on: a scrape is sent from its tick with no hand-over between threads.
 */
public final class ScrapeScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScrapeScheduler.class);
    private static final long SWEEP_SECONDS = 30;
    /** The liveness probe fails after 20 s without a beat; the kubelet restarts after 3 failures 10 s apart. */
    private static final Duration BEAT_EVERY = Duration.ofSeconds(1);
    private static final Duration BEAT_STALE_AFTER = Duration.ofSeconds(20);

    private final ScaledClock clock;
    private final Map<MetricsSource, SampleSource> sources;
    private final PodPipeline pipeline;
    private final OperatorMetrics metrics;
    /** Runs the ticks, the sweep and the heartbeat; not this scheduler's to shut down. */
    private final ScheduledExecutorService timer;
    private final ScheduledFuture<?> sweep;
    private final Map<PolicyKey, PolicyLoops> policies = new ConcurrentHashMap<>();
    /** Every policy reconciled, valid or not, so that a deleted one is forgotten even when it had no loops. */
    private final Set<PolicyKey> known = ConcurrentHashMap.newKeySet();
    private final Predicate<PolicyKey> policyExists;
    private final Heartbeat heartbeat;
    private final SampleKeeper keeper;
    private final Shards shards;
    /** Saves the policies' recent samples apart from the scrape timer: a slow API server must not stall scrapes or the heartbeat. */
    private final ScheduledExecutorService saver;

    /**
     * Policies are not given finalizers (an uninstalled operator must never block deleting a
     * policy), so a deletion is noticed here: {@code policyExists} is asked at every tick and by a
     * sweep every {@value #SWEEP_SECONDS} s. Everything runs on {@code timer}, whose tasks must not block.
     */
    ScrapeScheduler(ScaledClock clock, ScheduledExecutorService timer, Map<MetricsSource, SampleSource> sources, PodPipeline pipeline,
                    OperatorMetrics metrics, Predicate<PolicyKey> policyExists, SampleKeeper keeper, Duration saveSamplesEvery, Shards shards) {
        this.clock = clock;
        this.shards = shards;
        this.keeper = keeper;
        this.policyExists = policyExists;
        this.sources = Map.copyOf(sources);
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.timer = timer;
        this.sweep = timer.scheduleWithFixedDelay(this::forgetDeletedPolicies, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
        this.heartbeat = Heartbeat.on(timer, clock, BEAT_EVERY, BEAT_STALE_AFTER);
        this.saver = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "leakguard-sample-saver");
            t.setDaemon(true);
            return t;
        });
        long saveMillis = clock.realDelayMillis(saveSamplesEvery);
        saver.scheduleWithFixedDelay(this::saveSamples, saveMillis, saveMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Only loops of {@code source: pods} keep their samples: a Prometheus source backfills from its own
     * history. Only the leader has loops, so only the leader writes; with shards, each holder writes its
     * shards' pods, one journal part per shard, and never a shard it no longer holds.
     */
    private void saveSamples() {
        for (PolicyLoops loops : List.copyOf(policies.values())) {
            ResolvedPolicy policy = loops.policy();
            if (policy.source() != MetricsSource.pods || policies.get(policy.key()) != loops) {
                continue;
            }
            Map<Integer, List<PodState>> byShard = loops.states().stream()
                    .collect(Collectors.groupingBy(state -> shards.shardOf(state.target().podUid())));
            byShard.forEach((shard, states) -> {
                if (!shards.holds(shard)) {
                    return;
                }
                try {
                    keeper.save(policy.ref(), shards.journalPart(shard), states);
                } catch (RuntimeException e) {
                    log.warn("saving the recent samples of {} failed", policy.key(), e);
                }
            });
        }
    }

    /**
     * Stops at once the loops of pods in shards given up, before their Leases are written for the next holder;
     * the reconcile that follows would stop them too, but later.
     */
    void shardsLost(Set<Integer> lost) {
        for (PolicyLoops loops : List.copyOf(policies.values())) {
            for (PodKey pod : loops.pods()) {
                PolicyLoops.Loop loop = loops.get(pod);
                if (loop != null && lost.contains(shards.shardOf(loop.state().target().podUid()))) {
                    stop(loops, pod);
                }
            }
        }
    }

    /** Whether the thread that starts every scrape still runs: the operator's liveness. */
    boolean alive() {
        return heartbeat.alive();
    }

    /** Called for every reconciled policy. */
    void known(PolicyKey key) {
        known.add(key);
    }

    private void forgetDeletedPolicies() {
        for (PolicyKey key : Set.copyOf(known)) {
            if (!policyExists.test(key)) {
                forget(key);
            }
        }
    }

    private void forget(PolicyKey key) {
        known.remove(key);
        remove(key);
        metrics.forgetPolicy(key.namespace(), key.name());
    }

    /** A pod the policy selects, with where to scrape it and the annotations it carries. */
    record Watched(ScrapeTarget target, Map<String, String> annotations) {
    }

    /** Makes the running loops of {@code policy} match {@code watched}: starts, keeps, restarts and stops loops. */
    void sync(ResolvedPolicy policy, List<Watched> watched) {
        PolicyLoops loops = policies.computeIfAbsent(policy.key(), k -> new PolicyLoops(policy));
        boolean reshaped = !policy.sameScrapeShape(loops.policy());
        loops.policy(policy);
        Set<PodKey> present = new HashSet<>();
        for (Watched w : watched) {
            PodKey key = w.target().pod();
            int shard = shards.shardOf(w.target().podUid());
            if (!shards.holds(shard)) {
                continue; // given up since the reconcile chose its pods: its loop, if any, stops below
            }
            present.add(key);
            PolicyLoops.Loop existing = loops.get(key);
            if (existing != null && !reshaped && existing.state().target().sameSeries(w.target())) {
                existing.state().refresh(w.target());
                continue;
            }
            if (existing != null) {
                existing.cancel();
            }
            long tenure = shards.tenure(shard);
            if (policy.source() == MetricsSource.pods && !loops.restored(shard, tenure)) {
                // The first loop of this shard since this replica took it: what its earlier holder saw is read once, here.
                loops.restored(shard, tenure, keeper.restore(policy.ref(), shards.journalPart(shard)));
            }
            PodState state = new PodState(w.target(), w.annotations(), policy.detection().withMemoryLimitBytes(w.target().memoryLimitBytes()));
            int replayed = SampleKeeper.replay(state, loops.takeSaved(key));
            if (replayed > 0) {
                log.info("{}: replayed {} saved samples, verdict {}", key, replayed, state.effectiveVerdict());
            }
            PolicyLoops.Loop loop = new PolicyLoops.Loop(state, new CompletableFuture<>());
            loops.put(key, loop);
            startAfterBackfill(loops, loop);
        }
        for (PodKey gone : loops.pods()) {
            if (!present.contains(gone)) {
                stop(loops, gone);
            }
        }
    }

    void remove(PolicyKey key) {
        PolicyLoops loops = policies.remove(key);
        if (loops != null) {
            for (PodKey pod : loops.pods()) {
                stop(loops, pod);
            }
            metrics.forgetPolicy(key.namespace(), key.name());
        }
    }

    List<PodView> views(PolicyKey key) {
        PolicyLoops loops = policies.get(key);
        return loops == null ? List.of() : loops.views();
    }

    Set<PolicyKey> policies() {
        return Set.copyOf(policies.keySet());
    }

    private void stop(PolicyLoops loops, PodKey pod) {
        PolicyLoops.Loop loop = loops.remove(pod);
        if (loop != null) {
            loop.cancel();
            pipeline.forget(loops.policy().key(), loop.state().target());
            metrics.forgetPod(pod.namespace(), pod.name(), loops.policy().key().name());
        }
    }

    /** Feeds the source's history (if any) to the detector, then starts the periodic loop. */
    private void startAfterBackfill(PolicyLoops loops, PolicyLoops.Loop loop) {
        PodState state = loop.state();
        ResolvedPolicy policy = loops.policy();
        source(policy).history(policy, state.target(), clock.millis()).whenComplete((samples, error) -> {
            if (samples != null && !samples.isEmpty()) {
                samples.forEach(state::observe);
                log.info("{}: backfilled {} samples, verdict {}", state.target().pod(), samples.size(), state.effectiveVerdict());
            }
            if (loop.future().isCancelled() || loops.get(state.target().pod()) != loop) {
                return;
            }
            long period = clock.realDelayMillis(policy.interval());
            long offset = samples != null && !samples.isEmpty() ? 0 : offsetInInterval(state.target().podUid(), period);
            loop.future().complete(timer.scheduleAtFixedRate(() -> tick(loops, state), offset, period, TimeUnit.MILLISECONDS));
        });
    }

    /**
     * Where in the interval a pod's loop ticks: its UID's hash, mixed, so that loops spread evenly
     * over the interval whatever the UIDs look like. The bare {@code String.hashCode} of UIDs that
     * differ only in their last characters (sequential ones, as some API servers and mocks hand out)
     * clusters: a thousand such pods scraped in two thirds of the interval and none in the rest.
     */
    static long offsetInInterval(String podUid, long periodMillis) {
        long z = podUid.hashCode() * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return Math.floorMod(z ^ (z >>> 31), periodMillis);
    }

    private SampleSource source(ResolvedPolicy policy) {
        SampleSource source = sources.get(policy.source());
        if (source == null) {
            throw new IllegalStateException("no sample source for metrics.source " + policy.source());
        }
        return source;
    }

    private void tick(PolicyLoops loops, PodState state) {
        ResolvedPolicy policy = loops.policy();
        if (!policyExists.test(policy.key())) {
            forget(policy.key());
            return;
        }
        if (!shards.holdsPod(state.target().podUid()) || !state.tryStartScrape()) {
            // A shard given up: its loop stops with the next reconcile.
            return;
        }
        long now = clock.millis();
        ScrapeTarget target = state.target();
        source(policy).read(policy, target, now).whenComplete((reading, error) -> {
            try {
                if (error != null) {
                    log.warn("reading {} failed unexpectedly", target.pod(), error);
                    reading = new Reading.Failed("connection", String.valueOf(error.getMessage()), 0);
                }
                if (policies.get(policy.key()) == loops && loops.watches(target.pod())) {
                    // A reading that arrives after its loop was stopped would bring back series just removed.
                    pipeline.onReading(policy, state, reading);
                }
            } catch (RuntimeException e) {
                log.error("processing a reading of {} failed", target.pod(), e);
            } finally {
                state.scrapeFinished();
            }
        });
    }

    @Override
    public void close() {
        for (PolicyKey key : Set.copyOf(policies.keySet())) {
            remove(key);
        }
        sweep.cancel(false);
        heartbeat.stop();
        saver.shutdownNow();
    }
}
