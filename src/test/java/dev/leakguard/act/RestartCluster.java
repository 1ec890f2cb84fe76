package dev.leakguard.act;

import dev.leakguard.policy.ScrapeAuth;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.EventReason;
import dev.leakguard.decide.OperatorLedger;
import dev.leakguard.decide.RestartOutcome;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.demo.ApiRequest;
import dev.leakguard.demo.EvictionAwareDispatcher;
import dev.leakguard.engine.MetricsPort;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.kube.Pods;
import dev.leakguard.kube.Refs;
import dev.leakguard.kube.Selectors;
import dev.leakguard.policy.ActionType;
import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.MetricsSource;
import dev.leakguard.policy.ProfileType;
import dev.leakguard.scrape.parse.SeriesSelector;
import dev.leakguard.trend.DetectionSettings;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A namespace on the CRUD mock API server with the eviction-aware dispatcher, and builders for the
 * objects the restart door reads: Deployments with their ReplicaSet, Ready pods, PDBs, a policy.
 * The clock stands still (time is moved by building a door on a later clock).
 */
public final class RestartCluster implements AutoCloseable {
    public static final String NS = "shop";
    public static final String OPERATOR_NAMESPACE = "leakguard";
    public static final Instant START = Instant.parse("2027-01-15T08:00:00Z");
    public static final String WHY = "memory 410Mi of 512Mi, +2.1Mi/min, limit in 12m; top groups: redis.(*Pool).reaper x1001";

    public final EvictionAwareDispatcher dispatcher = new EvictionAwareDispatcher();
    public final HeldEvictions heldEvictions = new HeldEvictions();
    public final KubernetesMockServer server;
    public final KubernetesClient client;
    private final List<EventRecorder> recorders = new ArrayList<>();
    private final List<OomKillTracker> trackers = new ArrayList<>();

    public RestartCluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        try (KubernetesClient plain = server.createClient()) {
            client = new KubernetesClientBuilder().withConfig(plain.getConfiguration())
                    .withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor("held-evictions", heldEvictions)).build();
        }
    }

    /**
     * Holds the client's eviction requests before they are sent, as a hanging API server would hold
     * their answer. (Holding them in the mock's dispatcher would block its event loop, and with it
     * every other request.)
     */
    public static final class HeldEvictions implements Interceptor {
        private volatile CountDownLatch release = new CountDownLatch(0);
        private final Semaphore held = new Semaphore(0);

        /** Evictions from now on wait (at most 10 s) until {@link #release()}. */
        public void hold() {
            release = new CountDownLatch(1);
        }

        public void release() {
            release.countDown();
        }

        /** Waits until an eviction request is being held. */
        public boolean awaitHeld() throws InterruptedException {
            return held.tryAcquire(5, TimeUnit.SECONDS);
        }

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            CountDownLatch gate = release;
            if ("POST".equals(request.method()) && request.uri().getPath().endsWith("/eviction") && gate.getCount() > 0) {
                held.release();
                try {
                    gate.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** The restart door and OOM-kill tracker as a fresh operator instance would build them, on a clock frozen at {@code START + offset}. */
    public Door door(TestingMetrics metrics, Duration offset, int operatorCap) {
        Clock clock = frozenClock(offset);
        EventRecorder events = eventRecorder(clock, metrics);
        LedgerStore ledgers = new AnnotationLedgerStore(client);
        OomKillTracker oomKills = new OomKillTracker(ledgers, events, metrics);
        trackers.add(oomKills);
        return new Door(new RestartDoor(new WorkloadFacts(client), ledgers, operatorLedger(ledgers, clock), new Disruptor(client), events,
                metrics, clock, operatorCap), oomKills, ledgers);
    }

    /** An event recorder as the operator's, closed with the cluster. */
    public EventRecorder eventRecorder(Clock clock, TestingMetrics metrics) {
        EventRecorder events = new EventRecorder(client, clock, metrics, "leakguard", "test-host");
        recorders.add(events);
        return events;
    }

    /** The operator-wide ledger as replicas with leader election keep it: one Lease, which every door built here shares. */
    public OperatorLedgerStore operatorLedger(LedgerStore ledgers, Clock clock) {
        return new LeaseOperatorLedgerStore(client, OPERATOR_NAMESPACE, ObjectNames.OPERATOR_LEDGER,
                () -> OperatorLedger.startingFrom(ledgers.known(), clock.millis()));
    }

    /** The door's calls in the terms of these tests: the LeakPolicy and Pod objects, and explicit restart settings. */
    public record Door(RestartDoor door, OomKillTracker oomKills, LedgerStore ledgers) {
        public RestartOutcome requestRestart(LeakPolicy policy, RestartSettings settings, Pod pod, String why) {
            return door.requestRestart(resolved(policy, settings), target(pod), why, null);
        }

        /** Hands a pod change to the OOM-kill tracker and waits until it has recorded what it found. */
        public void onPodChanged(LeakPolicy policy, Pod oldPod, Pod newPod) {
            oomKills.podChanged(policy, oldPod, newPod);
            oomKills.flush(5_000);
        }

        public PolicyScore score(LeakPolicy policy) {
            return ledgers.score(policy);
        }
    }

    /** The policy as the resolver would hand it to the door; only its name, uid, selector and restart settings matter there. */
    public static ResolvedPolicy resolved(LeakPolicy policy, RestartSettings settings) {
        return new ResolvedPolicy(Refs.policyRef(policy), Selectors.of(policy.getSpec().getSelector()), MetricsSource.pods, null,
                MetricsPort.named("metrics"), "/metrics", SeriesSelector.parse("process_resident_memory_bytes"), null,
                ProfileType.none, MetricsPort.named("metrics"), "", Defaults.TOP_GROUPS, DetectionSettings.defaults(Double.NaN), settings, ScrapeAuth.PLAIN_HTTP);
    }

    /** The pod as the engine knows it; only its name and uid matter to the door. */
    public static ScrapeTarget target(Pod pod) {
        return new ScrapeTarget(Refs.podKey(pod), pod.getMetadata().getUid(), "app", URI.create("http://10.0.0.1:9090/metrics"), null,
                Double.NaN, null, -1, 0);
    }

    /** {@code pod} after its container was OOM-killed: restarted {@code restartCount} times, the last time OOMKilled. */
    public static Pod oomKilled(Pod pod, int restartCount, String finishedAt) {
        return new PodBuilder(pod).editStatus().editFirstContainerStatus()
                .withRestartCount(restartCount)
                .withLastState(new ContainerStateBuilder().withNewTerminated().withReason("OOMKilled").withExitCode(137)
                        .withFinishedAt(finishedAt).endTerminated().build())
                .endContainerStatus().endStatus().build();
    }

    public static Clock frozenClock(Duration offset) {
        return Clock.fixed(START.plus(offset), ZoneOffset.UTC);
    }

    public LeakPolicy policy(String name, ActionType type, boolean dryRun, int maxConcurrent, String cooldown, int perHour) {
        LeakPolicy policy = new LeakPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        policy.getSpec().setSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("tier", "web")).build());
        policy.getSpec().getAction().setType(type);
        policy.getSpec().getAction().setDryRun(dryRun);
        policy.getSpec().getAction().setMaxConcurrent(maxConcurrent);
        policy.getSpec().getAction().setCooldown(cooldown);
        policy.getSpec().getAction().setMaxRestartsPerHour(perHour);
        return client.resources(LeakPolicy.class).inNamespace(NS).resource(policy).create();
    }

    public LeakPolicy reread(LeakPolicy policy) {
        return client.resources(LeakPolicy.class).inNamespace(NS).withName(policy.getMetadata().getName()).get();
    }

    /** A Deployment, its current ReplicaSet and {@code replicas} Ready pods named {@code app-0..}. */
    public ReplicaSet deployment(String app, int replicas, String strategyType, String maxSurge) {
        Map<String, String> labels = Map.of("app", app, "tier", "web");
        DeploymentBuilder deployment = new DeploymentBuilder()
                .withNewMetadata().withName(app).withNamespace(NS).endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector().withMatchLabels(labels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("app:1").endContainer().endSpec()
                .endTemplate()
                .withNewStrategy().withType(strategyType).endStrategy()
                .endSpec();
        if ("RollingUpdate".equals(strategyType)) {
            deployment.editSpec().editStrategy().withNewRollingUpdate()
                    .withMaxSurge(new IntOrString(maxSurge)).withMaxUnavailable(new IntOrString(0))
                    .endRollingUpdate().endStrategy().endSpec();
        }
        Deployment created = client.apps().deployments().inNamespace(NS).resource(deployment.build()).create();
        ReplicaSet replicaSet = client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName(app + "-7d").withNamespace(NS)
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
                        .withName(app).withUid(created.getMetadata().getUid()).withController(true).build())
                .endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(labels).endSelector().endSpec()
                .build()).create();
        for (int i = 0; i < replicas; i++) {
            pod(app + "-" + i, replicaSet, Map.of());
        }
        return replicaSet;
    }

    /** A Running, Ready pod of the ReplicaSet (null: no controller) with extra annotations. */
    public Pod pod(String name, ReplicaSet owner, Map<String, String> annotations) {
        PodBuilder pod = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NS)
                .withLabels(owner == null ? Map.of("tier", "web") : owner.getSpec().getSelector().getMatchLabels())
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("app:1").endContainer().endSpec()
                .withNewStatus().withPhase("Running")
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .addNewContainerStatus().withName("app").withRestartCount(0).withReady(true).endContainerStatus()
                .endStatus();
        if (owner != null) {
            pod.editMetadata().withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("ReplicaSet")
                    .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid()).withController(true).build())
                    .endMetadata();
        }
        return client.pods().inNamespace(NS).resource(pod.build()).create();
    }

    public Pod pod(String name) {
        return client.pods().inNamespace(NS).withName(name).get();
    }

    public void budget(String name, String app, String minAvailable, String maxUnavailable) {
        PodDisruptionBudgetBuilder budget = new PodDisruptionBudgetBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(Map.of("app", app)).endSelector().endSpec();
        if (minAvailable != null) {
            budget.editSpec().withMinAvailable(intOrString(minAvailable)).endSpec();
        }
        if (maxUnavailable != null) {
            budget.editSpec().withMaxUnavailable(intOrString(maxUnavailable)).endSpec();
        }
        client.policy().v1().podDisruptionBudget().inNamespace(NS).resource(budget.build()).create();
    }

    private static IntOrString intOrString(String value) {
        return value.endsWith("%") ? new IntOrString(value) : new IntOrString(Integer.parseInt(value));
    }

    public long readyPods(String app) {
        return client.pods().inNamespace(NS).withLabel("app", app).list().getItems().stream()
                .filter(Pods::healthy).count();
    }

    /** Waits until every recorder has delivered what it queued (Events are written asynchronously). */
    public void flushEvents() {
        recorders.forEach(r -> r.flush(5_000));
    }

    /** Events with this reason, once every recorder has delivered what it queued. */
    public List<Event> events(EventReason reason) {
        flushEvents();
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> reason.name().equals(e.getReason()))
                .toList();
    }

    public long requests(String verb, String resource, String subresource, String name) {
        return dispatcher.requests().stream().filter(r -> matches(r, verb, resource, subresource, name)).count();
    }

    public static boolean matches(ApiRequest r, String verb, String resource, String subresource, String name) {
        return r.call().verb().equals(verb) && r.call().resource().equals(resource)
                && r.call().subresource().equals(subresource) && (name == null || name.equals(r.name()));
    }

    /** Waits for something asynchronous without fixed sleeps. */
    public static void eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10s");
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        trackers.forEach(OomKillTracker::close);
        recorders.forEach(EventRecorder::close);
        client.close();
        server.destroy();
    }
}
