package dev.leakguard.operator;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.policy.MetricsSource;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.DetectionSettings;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one scrape loop per watched pod, like Prometheus owns its scrape loops: the reconciler only
 * hands over the current set of targets. Each loop starts at a pod-specific offset inside the
 * interval, so thousands of pods do not all scrape in the same millisecond; a loop whose previous
 * scrape is still running skips a beat rather than piling up requests.
 */
public final class ScrapeScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScrapeScheduler.class);
    private static final long SWEEP_SECONDS = 30;

    private final ScaledClock clock;
    private final Map<MetricsSource, SampleSource> sources;
    private final PodPipeline pipeline;
    private final OperatorMetrics metrics;
    private final ScheduledExecutorService timer;
    private final Map<PolicyKey, PolicyLoops> policies = new ConcurrentHashMap<>();
    /** Every policy reconciled, valid or not, so that a deleted one is forgotten even when it had no loops. */
    private final Set<PolicyKey> known = ConcurrentHashMap.newKeySet();
    private volatile Predicate<PolicyKey> policyExists = key -> true;
    private volatile Consumer<PolicyKey> policyGone = key -> { };

    ScrapeScheduler(ScaledClock clock, Map<MetricsSource, SampleSource> sources, PodPipeline pipeline, OperatorMetrics metrics) {
        this.clock = clock;
        this.sources = Map.copyOf(sources);
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "leakguard-scrape-timer");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::forgetDeletedPolicies, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
    }

    /** Called for every reconciled policy. */
    void known(PolicyKey key) {
        known.add(key);
    }

    private void forgetDeletedPolicies() {
        for (PolicyKey key : Set.copyOf(known)) {
            if (!policyExists.test(key)) {
                known.remove(key);
                remove(key);
                metrics.forgetPolicy(key.namespace(), key.name());
                policyGone.accept(key);
            }
        }
    }

    /**
     * Policies are not given finalizers (an uninstalled operator must never block deleting a
     * policy), so a deletion is noticed here: each tick checks the policy still exists.
     */
    void policyExistence(Predicate<PolicyKey> exists, Consumer<PolicyKey> gone) {
        this.policyExists = exists;
        this.policyGone = gone;
    }

    /** A pod the policy selects, with where to scrape it. */
    record Watched(ScrapeTarget target, Pod pod) {
    }

    /** Makes the running loops of {@code policy} match {@code watched}: starts, keeps, restarts and stops loops. */
    void sync(LeakPolicy resource, ResolvedPolicy policy, List<Watched> watched) {
        PolicyLoops loops = policies.computeIfAbsent(policy.key(), k -> new PolicyLoops(policy, resource));
        boolean reshaped = !policy.sameScrapeShape(loops.policy);
        loops.policy = policy;
        loops.resource = resource;
        Set<PodKey> present = new HashSet<>();
        for (Watched w : watched) {
            PodKey key = w.target().pod();
            present.add(key);
            PolicyLoops.Loop existing = loops.loops.get(key);
            if (existing != null && !reshaped && existing.state().target().sameSeries(w.target())) {
                existing.state().refresh(w.target(), w.pod());
                continue;
            }
            if (existing != null) {
                existing.cancel();
            }
            PodState state = new PodState(w.target(), w.pod(), settings(policy, w.target()));
            PolicyLoops.Loop loop = new PolicyLoops.Loop(state, new CompletableFuture<>());
            loops.loops.put(key, loop);
            startAfterBackfill(loops, loop);
        }
        for (PodKey gone : Set.copyOf(loops.loops.keySet())) {
            if (!present.contains(gone)) {
                stop(loops, gone);
            }
        }
    }

    void remove(PolicyKey key) {
        PolicyLoops loops = policies.remove(key);
        if (loops != null) {
            for (PodKey pod : Set.copyOf(loops.loops.keySet())) {
                stop(loops, pod);
            }
            metrics.forgetPolicy(key.namespace(), key.name());
        }
    }

    Collection<PodView> views(PolicyKey key) {
        PolicyLoops loops = policies.get(key);
        return loops == null ? List.of() : loops.loops.values().stream().map(l -> l.state().view()).toList();
    }

    Set<PolicyKey> policies() {
        return Set.copyOf(policies.keySet());
    }

    private void stop(PolicyLoops loops, PodKey pod) {
        PolicyLoops.Loop loop = loops.loops.remove(pod);
        if (loop != null) {
            loop.cancel();
            metrics.forgetPod(pod.namespace(), pod.name(), loops.policy.key().name());
        }
    }

    /** Feeds the source's history (if any) to the detector, then starts the periodic loop. */
    private void startAfterBackfill(PolicyLoops loops, PolicyLoops.Loop loop) {
        PodState state = loop.state();
        source(loops.policy).history(loops.policy, state.target(), clock.millis()).whenComplete((samples, error) -> {
            if (samples != null && !samples.isEmpty()) {
                samples.forEach(state::observe);
                log.info("{}: backfilled {} samples, verdict {}", state.target().pod(), samples.size(), state.effectiveVerdict());
            }
            if (loop.future().isCancelled() || loops.loops.get(state.target().pod()) != loop) {
                return;
            }
            long period = clock.realDelayMillis(loops.policy.interval().toMillis());
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
        ResolvedPolicy policy = loops.policy;
        if (!policyExists.test(policy.key())) {
            known.remove(policy.key());
            remove(policy.key());
            policyGone.accept(policy.key());
            return;
        }
        if (!state.tryStartScrape()) {
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
                if (policies.get(policy.key()) == loops && loops.loops.containsKey(target.pod())) {
                    // A reading that arrives after its loop was stopped would bring back series just removed.
                    pipeline.onReading(loops, state, reading);
                }
            } catch (RuntimeException e) {
                log.error("processing a reading of {} failed", target.pod(), e);
            } finally {
                state.scrapeFinished();
            }
        });
    }

    private static DetectionSettings settings(ResolvedPolicy policy, ScrapeTarget target) {
        return policy.detection().withMemoryLimitBytes(target.memoryLimitBytes());
    }

    @Override
    public void close() {
        for (PolicyKey key : Set.copyOf(policies.keySet())) {
            remove(key);
        }
        timer.shutdownNow();
    }
}
