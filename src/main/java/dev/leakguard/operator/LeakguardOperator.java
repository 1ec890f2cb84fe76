package dev.leakguard.operator;

import dev.leakguard.act.AnnotationLedgerStore;
import dev.leakguard.act.ConfigMapSampleJournal;
import dev.leakguard.act.Disruptor;
import dev.leakguard.act.EventRecorder;
import dev.leakguard.act.EvidenceStore;
import dev.leakguard.act.InMemoryOperatorLedgerStore;
import dev.leakguard.act.LeaseOperatorLedgerStore;
import dev.leakguard.act.LedgerStore;
import dev.leakguard.act.ObjectNames;
import dev.leakguard.act.OomKillTracker;
import dev.leakguard.act.OperatorLedgerStore;
import dev.leakguard.act.RestartDoor;
import dev.leakguard.act.WorkloadFacts;
import dev.leakguard.decide.OperatorLedger;
import dev.leakguard.engine.CoalescingPodActions;
import dev.leakguard.engine.PodPipeline;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.engine.Ports;
import dev.leakguard.engine.SampleKeeper;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.metrics.PodMetrics;
import dev.leakguard.metrics.SelectedPodMetrics;
import dev.leakguard.policy.MetricsSource;
import dev.leakguard.policy.PrometheusUrlAllowList;
import dev.leakguard.scrape.FetchLimits;
import dev.leakguard.scrape.HttpFetcher;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RegisteredController;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.health.InformerHealthIndicator;
import io.javaoperatorsdk.operator.health.InformerWrappingEventSourceHealthIndicator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.function.Supplier;

/**
 * Assembles the operator: the JOSDK controller for LeakPolicies, the scrape scheduler, and the edges
 * that change the cluster. The same assembly runs in a cluster ({@code leakguard run}), in the demo
 * and in the integration tests; only the client, the clock and the settings differ.
 */
public final class LeakguardOperator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeakguardOperator.class);
    /** Audit logs (and the RBAC test) tell leakguard's requests apart by this User-Agent prefix. */
    public static final String USER_AGENT_PREFIX = "leakguard/";

    /**
     * How the operator runs; built with {@link #builder()}. Only what the command line, the demo or
     * the tests change has a builder method; the rest are fixed defaults kept here in one place.
     *
     * @param statusRefresh      how often a quiet policy's status is rewritten, on the operator's clock
     * @param maxRestartsPerHour the operator-wide cap on restarts started in any hour, over all policies
     * @param leaseDuration      how long a leader's Lease holds without renewal; renewal and retry periods scale
     *                           with it as in JOSDK's defaults. Shard Leases use the same duration.
     * @param shards             how many shards the pods are split into; 1 (the default) is one leader for all pods,
     *                           more makes every replica work, each on the shards it holds a Lease for
     * @param podMetrics         which pods get {@code leakguard_pod_*} series on /metrics
     */
    public record Settings(
            Set<String> namespaces,
            boolean leaderElection,
            String leaseName,
            String leaseNamespace,
            String identity,
            boolean exitOnStopLeading,
            Duration statusRefresh,
            int maxRestartsPerHour,
            PrometheusUrlAllowList prometheusServers,
            int maxConcurrentScrapes,
            FetchLimits metricsLimits,
            FetchLimits profileLimits,
            PrometheusPodLabels prometheusLabels,
            Duration leaseDuration,
            Path serviceAccountToken,
            Duration saveSamplesEvery,
            PodMetrics podMetrics,
            int shards) {

        /** The default of {@code leakguard run --max-restarts-per-hour}. */
        public static final int MAX_RESTARTS_PER_HOUR = 20;

        public static Settings defaults() {
            return builder().build();
        }

        public static Builder builder() {
            return new Builder();
        }

        public static final class Builder {
            private Set<String> namespaces = Set.of();
            private boolean leaderElection;
            private String leaseNamespace;
            private String identity;
            private boolean exitOnStopLeading = true;
            private Duration statusRefresh = Duration.ofSeconds(60);
            private int maxRestartsPerHour = MAX_RESTARTS_PER_HOUR;
            private PrometheusUrlAllowList prometheusServers = PrometheusUrlAllowList.none();
            private PrometheusPodLabels prometheusLabels = PrometheusPodLabels.defaults();
            private Duration leaseDuration = Duration.ofSeconds(15);
            private Path serviceAccountToken = ScrapeAccessReader.IN_CLUSTER_TOKEN;
            private Duration saveSamplesEvery = Duration.ofMinutes(2);
            private PodMetrics podMetrics = PodMetrics.DEFAULT;
            private int shards = 1;

            private Builder() {
            }

            /** Watch only these namespaces; empty (the default) watches all. */
            public Builder namespaces(Set<String> value) {
                namespaces = Set.copyOf(value);
                return this;
            }

            /** Only the holder of the Lease in {@code leaseNamespace} scrapes and acts. */
            public Builder leaderElection(String leaseNamespace, String identity, boolean exitOnStopLeading) {
                this.leaderElection = true;
                this.leaseNamespace = leaseNamespace;
                this.identity = identity;
                this.exitOnStopLeading = exitOnStopLeading;
                return this;
            }

            public Builder statusRefresh(Duration value) {
                statusRefresh = value;
                return this;
            }

            public Builder maxRestartsPerHour(int value) {
                if (value < 0 || value > OperatorLedger.MAX_CAP) {
                    throw new IllegalArgumentException("--max-restarts-per-hour must be between 0 and " + OperatorLedger.MAX_CAP
                            + " (the operator-wide ledger holds an hour of them), got " + value);
                }
                maxRestartsPerHour = value;
                return this;
            }

            /** The operator's default Prometheus server, and no other; see {@link #prometheusServers}. */
            public Builder prometheusUrl(String value) {
                prometheusServers = PrometheusUrlAllowList.of(value, List.of());
                return this;
            }

            /** The servers policies may read from: {@code --prometheus-url} and {@code --allowed-prometheus-urls}. */
            public Builder prometheusServers(PrometheusUrlAllowList value) {
                prometheusServers = value;
                return this;
            }

            public Builder prometheusLabels(PrometheusPodLabels value) {
                prometheusLabels = value;
                return this;
            }

            /** The file holding the operator's own ServiceAccount token (authorization type ServiceAccount). */
            public Builder serviceAccountToken(Path value) {
                serviceAccountToken = value;
                return this;
            }

            public Builder leaseDuration(Duration value) {
                leaseDuration = value;
                return this;
            }

            /**
             * How often the leader saves its pods' recent samples (policies with {@code source: pods}), on the
             * operator's clock: what a new leader can lose is this much, not a whole warm-up and window.
             */
            public Builder saveSamplesEvery(Duration value) {
                saveSamplesEvery = value;
                return this;
            }

            /** Which pods get per-pod series: the default {@link PodMetrics#AT_RISK} keeps /metrics small at thousands of pods. */
            public Builder podMetrics(PodMetrics value) {
                podMetrics = value;
                return this;
            }

            /**
             * Splits the pods into {@code value} shards by a hash of their UID. With more than one, every replica
             * scrapes and acts on the shards it holds a Lease for, in the namespace given to {@link #leaderElection};
             * JOSDK's own leader election is not used, so that no replica waits.
             */
            public Builder shards(int value) {
                if (value < 1) {
                    throw new IllegalArgumentException("--shards must be 1 or more, got " + value);
                }
                shards = value;
                return this;
            }

            public Settings build() {
                if (shards > 1 && (leaseNamespace == null || identity == null)) {
                    throw new IllegalArgumentException("--shards " + shards + " needs a lease namespace and an identity for the shard Leases");
                }
                return new Settings(namespaces, leaderElection, "leakguard-leader", leaseNamespace, identity, exitOnStopLeading,
                        statusRefresh, maxRestartsPerHour, prometheusServers, 64, FetchLimits.metricsDefaults(),
                        FetchLimits.profileDefaults(), prometheusLabels, leaseDuration, serviceAccountToken, saveSamplesEvery,
                        podMetrics, shards);
            }
        }
    }

    private final Operator operator;
    private final EventRecorder events;
    private final HttpFetcher fetcher;
    private final ScrapeScheduler scheduler;
    private final CoalescingPodActions actions;
    private final OomKillTracker oomKills;
    /** Null with one shard: then JOSDK's leader election (if any) decides who works. */
    private final ShardLeases shardLeases;
    private final ShardLeases.Listener onShardsChanged;

    public LeakguardOperator(KubernetesClient client, ScaledClock clock, MicrometerOperatorMetrics metrics, Settings settings) {
        this.events = new EventRecorder(client, clock, metrics, "leakguard", settings.identity() == null ? "leakguard" : settings.identity());
        this.fetcher = new HttpFetcher(settings.maxConcurrentScrapes());
        this.actions = new CoalescingPodActions(2, "leakguard-actions");
        LedgerStore ledgers = new AnnotationLedgerStore(client);
        Supplier<OperatorLedger> firstOperatorLedger = () -> OperatorLedger.startingFrom(ledgers.known(), clock.millis());
        // Replicas that share the work (or wait for it) share the operator-wide ledger in their namespace; one alone keeps it.
        OperatorLedgerStore operatorLedger = settings.leaseNamespace() == null ? new InMemoryOperatorLedgerStore(firstOperatorLedger)
                : new LeaseOperatorLedgerStore(client, settings.leaseNamespace(), ObjectNames.OPERATOR_LEDGER, firstOperatorLedger);
        Disruptor disruptor = new Disruptor(client);
        RestartDoor door = new RestartDoor(new WorkloadFacts(client), ledgers, operatorLedger, disruptor, events, metrics, clock,
                settings.maxRestartsPerHour());
        this.oomKills = new OomKillTracker(ledgers, events, metrics);
        StatusPacer pacer = new StatusPacer(clock, settings.statusRefresh());
        PolicyCache policies = new PolicyCache();
        this.shardLeases = settings.shards() > 1 ? new ShardLeases(client, clock, settings.leaseNamespace(), settings.identity(),
                settings.shards(), settings.leaseDuration()) : null;
        Shards shards = shardLeases == null ? Shards.ALL : shardLeases;
        Ports ports = new Ports(events, disruptor, new EvidenceKeeper(fetcher, settings.metricsLimits(), new EvidenceStore(client)),
                door, new ProfileCollector(fetcher, settings.profileLimits()));
        OperatorMetrics podMetrics = SelectedPodMetrics.of(settings.podMetrics(), metrics, clock);
        PodPipeline pipeline = new PodPipeline(clock, ports, actions, podMetrics, pacer::verdictChanged);
        this.scheduler = new ScrapeScheduler(clock, fetcher.timer(), Map.of(
                MetricsSource.pods, new PodMetricsSource(fetcher, settings.metricsLimits()),
                MetricsSource.prometheus, new PrometheusSampleSource(fetcher, settings.metricsLimits(), settings.prometheusLabels())),
                pipeline, podMetrics, policies::exists, new SampleKeeper(new ConfigMapSampleJournal(client)), settings.saveSamplesEvery(),
                shards);
        this.onShardsChanged = (gained, lost) -> {
            if (!lost.isEmpty()) {
                scheduler.shardsLost(lost);
            }
            policies.keys().forEach(pacer::reconcileNow);
        };
        PodEventSource.Listener podChanges = (oldPod, newPod) -> {
            if (newPod == null) {
                door.podGone(oldPod.getMetadata().getUid());
            } else {
                // Every replica, whatever shard the pod is in: the ledger records each kill once (the replica whose write
                // adds it writes the Event), and a kill during a shard's handover is not lost.
                policies.selecting(newPod).forEach(policy -> oomKills.podChanged(policy, oldPod, newPod));
            }
        };
        LeakPolicyReconciler reconciler = new LeakPolicyReconciler(new PolicyResolver(settings.prometheusServers()),
                new ScrapeAccessReader(client, settings.serviceAccountToken()), scheduler,
                new StatusBuilder(clock), pacer, policies, podChanges, events, ledgers, podMetrics, shards);
        this.operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    // Status is patched with a JSON merge patch: server-side apply is not available everywhere (nor on test servers).
                    .withUseSSAToPatchPrimaryResource(false)
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics.registry()));
            if (settings.leaderElection() && shardLeases == null) {
                LeaderElectionConfigurationBuilder election = LeaderElectionConfigurationBuilder
                        .aLeaderElectionConfiguration(settings.leaseName())
                        .withLeaseNamespace(settings.leaseNamespace())
                        .withLeaseDuration(settings.leaseDuration())
                        .withRenewDeadline(settings.leaseDuration().multipliedBy(2).dividedBy(3))
                        .withRetryPeriod(settings.leaseDuration().multipliedBy(2).dividedBy(15));
                if (settings.identity() != null) {
                    election.withIdentity(settings.identity());
                }
                // Not build(): in JOSDK 5.3.2 it is buildForTest(false), so a leader that lost its Lease would only log and keep
                // reconciling next to the new one. JOSDK cannot campaign again (nothing stops its event processing), so the
                // deposed leader exits and the kubelet restarts it as a follower.
                o.withLeaderElectionConfiguration(election.buildForTest(settings.exitOnStopLeading()));
            }
        });
        operator.register(reconciler, c -> {
            // JOSDK's default retry gives up after 5 attempts and then waits for the next event, which a quiet
            // policy never gets: its status would stay stale after an API-server outage. Never give up instead.
            long refreshMillis = clock.realDelayMillis(settings.statusRefresh());
            c.withRetry(new GenericRetry().setInitialInterval(Math.min(2000, refreshMillis))
                    .setIntervalMultiplier(1.5).setMaxInterval(refreshMillis).withoutMaxAttempts());
            if (!settings.namespaces().isEmpty()) {
                c.settingNamespaces(settings.namespaces());
            }
        });
    }

    public void start() {
        operator.start();
        if (shardLeases != null) {
            shardLeases.start(onShardsChanged);
        }
    }

    /**
     * Liveness: the scrape scheduler's thread still beats. Not the informers' health: an API-server
     * outage must not make the kubelet restart every replica, and a restart would not bring the API back.
     */
    public boolean live() {
        return scheduler.alive();
    }

    /**
     * Readiness: started, and every informer synced and watching. JOSDK's own health check asks only
     * whether the informers run and once synced, which stays true through an API-server outage.
     */
    public boolean ready() {
        RuntimeInfo info = operator.getRuntimeInfo();
        if (!info.isStarted()) {
            return false;
        }
        for (RegisteredController<?> controller : info.getRegisteredControllers()) {
            for (InformerWrappingEventSourceHealthIndicator<?> source : controller.getControllerHealthInfo().informerEventSourceHealthIndicators().values()) {
                for (InformerHealthIndicator informer : source.informerHealthIndicators().values()) {
                    if (!informer.isRunning() || !informer.hasSynced() || !informer.isWatching()) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    public boolean started() {
        return operator.getRuntimeInfo().isStarted();
    }

    public EventRecorder events() {
        return events;
    }

    /** What every policy's loops know right now, by namespace and name, for the demo's summary and for tests. */
    public Map<PolicyKey, List<PodView>> snapshot() {
        Map<PolicyKey, List<PodView>> out = new TreeMap<>(Comparator.comparing(PolicyKey::namespace).thenComparing(PolicyKey::name));
        for (PolicyKey key : scheduler.policies()) {
            out.put(key, scheduler.views(key));
        }
        return out;
    }

    @Override
    public void close() {
        if (shardLeases != null) {
            // First: stops this replica's loops, then gives its shards back so that the others take over at once.
            shardLeases.close();
        }
        operator.stop();
        scheduler.close();
        actions.close();
        oomKills.close();
        events.close();
        fetcher.close();
    }
}
