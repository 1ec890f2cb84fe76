package dev.leakguard.metrics;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code leakguard_*} series on a Micrometer Prometheus registry. Per-pod gauges are removed
 * when the pod or its policy goes away, so cardinality follows the watched pods and nothing stale
 * is left behind.
 */
public final class MicrometerOperatorMetrics implements OperatorMetrics {
    private static final Duration[] SCRAPE_BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10)};

    private final PrometheusMeterRegistry registry;
    private final Map<PodId, PodGauges> pods = new ConcurrentHashMap<>();
    private final Map<PolicyId, PolicyGauges> policies = new ConcurrentHashMap<>();
    private final Map<PolicyId, PolicyMeters> perScrape = new ConcurrentHashMap<>();

    private record PolicyId(String namespace, String policy) {
    }

    private record PodId(String namespace, String pod, String policy) {
    }

    private record PlanId(String namespace, String policy, String workload) {
    }

    /** The gauge's value lives here (as double bits): Micrometer gauges only read a number they are given. */
    private final Map<PlanId, AtomicLong> plans = new ConcurrentHashMap<>();

    public MicrometerOperatorMetrics(String version) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        // An Info metric, registered on the underlying Prometheus registry: Micrometer would strip the _info suffix.
        Info.builder().name("leakguard_build_info").help("Always 1; the version label says which leakguard is running.")
                .labelNames("version").register(registry.getPrometheusRegistry()).addLabelValues(version);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The text exposition served at /metrics. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void scrape(String namespace, String policy, String result, long durationNanos) {
        PolicyMeters meters = perScrape(namespace, policy);
        meters.scrapes(result).increment();
        meters.scrapeDuration().record(durationNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void decision(String namespace, String policy, long durationNanos) {
        perScrape(namespace, policy).decisionDuration().record(durationNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void reconcile(String namespace, String policy, boolean podsListed, long durationNanos) {
        perScrape(namespace, policy).reconcileDuration(podsListed).record(durationNanos, TimeUnit.NANOSECONDS);
    }

    /** Called for every scrape: the meters are looked up in a map of our own, not built and registered each time. */
    private PolicyMeters perScrape(String namespace, String policy) {
        return perScrape.computeIfAbsent(new PolicyId(namespace, policy), PolicyMeters::new);
    }

    @Override
    public void action(String namespace, String policy, String type, String result) {
        Counter.builder("leakguard_actions").description("Restart and annotate actions by type and result.")
                .tags("namespace", namespace, "policy", policy, "type", type, "result", result).register(registry).increment();
    }

    @Override
    public void event(String reason, String type, boolean delivered) {
        String name = delivered ? "leakguard_events" : "leakguard_events_failed";
        Counter.builder(name).description(delivered ? "Kubernetes Events written." : "Kubernetes Events dropped or refused.")
                .tags("reason", reason, "type", type).register(registry).increment();
    }

    @Override
    public void oomKillMissed(String namespace, String policy) {
        Counter.builder("leakguard_oom_kills_missed").description("Watched containers OOM-killed before leakguard acted.")
                .tags("namespace", namespace, "policy", policy).register(registry).increment();
    }

    @Override
    public void restartLoop(String namespace, String policy) {
        Counter.builder("leakguard_restart_loops").description("Workloads restarted too often: the leak needs a fix.")
                .tags("namespace", namespace, "policy", policy).register(registry).increment();
    }

    @Override
    public void pod(String namespace, String pod, String policy, Verdict verdict, Assessment assessment) {
        pods.computeIfAbsent(new PodId(namespace, pod, policy), k -> new PodGauges(Tags.of("namespace", namespace, "pod", pod, "policy", policy)))
                .update(verdict, assessment);
    }

    @Override
    public void forgetPod(String namespace, String pod, String policy) {
        PodGauges gauges = pods.remove(new PodId(namespace, pod, policy));
        if (gauges != null) {
            gauges.remove();
        }
    }

    @Override
    public void policy(String namespace, String policy, int watched, int leaking, boolean ready) {
        policies.computeIfAbsent(new PolicyId(namespace, policy), k -> new PolicyGauges(Tags.of("namespace", namespace, "policy", policy)))
                .update(watched, leaking, ready);
    }

    @Override
    public void forgetPolicy(String namespace, String policy) {
        PolicyId id = new PolicyId(namespace, policy);
        PolicyGauges gauges = policies.remove(id);
        if (gauges != null) {
            gauges.meters.forEach(registry::remove);
        }
        // Counters and histograms of the policy go too: policy churn must not grow the registry forever.
        perScrape.remove(id);
        registry.getMeters().stream()
                .filter(m -> namespace.equals(m.getId().getTag("namespace")) && policy.equals(m.getId().getTag("policy")))
                .toList()
                .forEach(registry::remove);
        plans.keySet().removeIf(key -> key.namespace().equals(namespace) && key.policy().equals(policy));
        pods.keySet().removeIf(key -> {
            if (key.namespace().equals(namespace) && key.policy().equals(policy)) {
                pods.get(key).remove();
                return true;
            }
            return false;
        });
    }

    @Override
    public void restartPlan(String namespace, String policy, String workload, double secondsToFirstStart) {
        plans.computeIfAbsent(new PlanId(namespace, policy, workload), id -> {
            AtomicLong bits = new AtomicLong();
            Gauge.builder("leakguard_workload_restart_plan_seconds", bits, b -> Double.longBitsToDouble(b.get()))
                    .description("Seconds until the first restart of a leaking workload's restart plan must start; negative when late.")
                    .tags("namespace", namespace, "policy", policy, "workload", workload).register(registry);
            return bits;
        }).set(Double.doubleToLongBits(secondsToFirstStart));
    }

    @Override
    public void forgetRestartPlan(String namespace, String policy, String workload) {
        if (plans.remove(new PlanId(namespace, policy, workload)) != null) {
            registry.find("leakguard_workload_restart_plan_seconds")
                    .tags("namespace", namespace, "policy", policy, "workload", workload).meters().forEach(registry::remove);
        }
    }

    /**
     * A policy's per-scrape meters, each registered when first used. Registering is idempotent in
     * Micrometer, so two threads racing to the first use get the same meter.
     */
    private final class PolicyMeters {
        private final PolicyId id;
        private final Map<String, Counter> scrapesByResult = new ConcurrentHashMap<>();
        private volatile Timer scrapeDuration;
        private volatile Timer decisionDuration;
        private final Map<Boolean, Timer> reconcileDurations = new ConcurrentHashMap<>();

        PolicyMeters(PolicyId id) {
            this.id = id;
        }

        Counter scrapes(String result) {
            return scrapesByResult.computeIfAbsent(result, r -> Counter.builder("leakguard_scrapes").description("Scrapes of watched pods by result.")
                    .tags("namespace", id.namespace(), "policy", id.policy(), "result", r).register(registry));
        }

        Timer scrapeDuration() {
            Timer timer = scrapeDuration;
            if (timer == null) {
                timer = Timer.builder("leakguard_scrape_duration").description("Time to fetch and read one pod's metrics.")
                        .tags("namespace", id.namespace(), "policy", id.policy()).serviceLevelObjectives(SCRAPE_BUCKETS).register(registry);
                scrapeDuration = timer;
            }
            return timer;
        }

        Timer decisionDuration() {
            Timer timer = decisionDuration;
            if (timer == null) {
                timer = Timer.builder("leakguard_decision_duration")
                        .description("From a scraped body being complete to its assessment and reaction plan.")
                        .tags("namespace", id.namespace(), "policy", id.policy()).publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofNanos(50_000)).maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
                decisionDuration = timer;
            }
            return timer;
        }

        Timer reconcileDuration(boolean podsListed) {
            return reconcileDurations.computeIfAbsent(podsListed, listed -> Timer.builder("leakguard_reconcile_duration")
                    .description("One reconcile of the policy; pods=listed when it listed and resolved the policy's pods, "
                            + "not_listed when they had not changed and only status was built.")
                    .tags("namespace", id.namespace(), "policy", id.policy(), "pods", listed ? "listed" : "not_listed").register(registry));
        }
    }

    private final class PodGauges {
        private final Tags tags;
        private final List<Meter> meters = new ArrayList<>();
        private volatile Assessment last;
        private Meter verdictGauge;
        private String verdict;

        PodGauges(Tags tags) {
            this.tags = tags;
            gauge("leakguard_pod_memory_bytes", "Current value of the policy's memory series.", a -> a.memoryBytes());
            gauge("leakguard_pod_memory_limit_bytes", "Memory limit predicted against.", a -> a.memoryLimitBytes());
            gauge("leakguard_pod_memory_growth_bytes_per_second", "Robust memory growth rate.", a -> a.memoryGrowthBytesPerSecond());
            gauge("leakguard_pod_seconds_to_limit", "Predicted seconds until the memory limit (+Inf when not approaching).",
                    a -> a.secondsToLimit());
            gauge("leakguard_pod_seconds_to_limit_lower",
                    "Pessimistic seconds until the memory limit, from the upper end of the growth rate's confidence interval.",
                    a -> a.secondsToLimitLower());
            gauge("leakguard_pod_threads", "Current thread/goroutine count.", a -> a.threads());
            gauge("leakguard_pod_thread_growth_per_second", "Thread/goroutine growth rate.", a -> a.threadGrowthPerSecond());
        }

        private void gauge(String name, String help, java.util.function.ToDoubleFunction<Assessment> value) {
            meters.add(Gauge.builder(name, this, g -> g.last == null ? Double.NaN : value.applyAsDouble(g.last))
                    .description(help).tags(tags).register(registry));
        }

        synchronized void update(Verdict effective, Assessment assessment) {
            last = assessment;
            String now = effective.name().toLowerCase(Locale.ROOT);
            if (!now.equals(verdict)) {
                if (verdictGauge != null) {
                    registry.remove(verdictGauge);
                }
                verdict = now;
                verdictGauge = Gauge.builder("leakguard_pod_verdict", () -> 1).description("1 for the pod's current verdict.")
                        .tags(tags.and("verdict", now)).register(registry);
            }
        }

        synchronized void remove() {
            meters.forEach(registry::remove);
            if (verdictGauge != null) {
                registry.remove(verdictGauge);
            }
        }
    }

    private final class PolicyGauges {
        private final List<Meter> meters = new ArrayList<>();
        private volatile int watched;
        private volatile int leaking;
        private volatile boolean ready;

        PolicyGauges(Tags tags) {
            meters.add(Gauge.builder("leakguard_policy_watched_pods", this, g -> g.watched).description("Pods the policy watches.")
                    .tags(tags).register(registry));
            meters.add(Gauge.builder("leakguard_policy_leaking_pods", this, g -> g.leaking)
                    .description("Pods predicted to hit their limit within the horizon.").tags(tags).register(registry));
            meters.add(Gauge.builder("leakguard_policy_ready", this, g -> g.ready ? 1 : 0)
                    .description("1 when the policy is valid and active.").tags(tags).register(registry));
        }

        void update(int watched, int leaking, boolean ready) {
            this.watched = watched;
            this.leaking = leaking;
            this.ready = ready;
        }
    }
}
