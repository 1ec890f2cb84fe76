package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.AnnotationLedgerStore;
import dev.leakguard.act.Disruptor;
import dev.leakguard.act.EventRecorder;
import dev.leakguard.act.LeaseOperatorLedgerStore;
import dev.leakguard.act.OperatorLedgerStore;
import dev.leakguard.act.RestartCluster;
import dev.leakguard.act.RestartDoor;
import dev.leakguard.act.WorkloadFacts;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.OperatorLedger;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.decide.RestartLoopRule;
import dev.leakguard.decide.RestartOutcome;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.kube.Pods;
import dev.leakguard.kube.Refs;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.policy.ActionType;
import dev.leakguard.testing.ControlPlane;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.RunningUntilTestEnds;
import dev.leakguard.testing.TestPolicies;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator-wide cap with replicas deciding for different policies at once, as shards make them: each replica has
 * its own client (the operator's ServiceAccount), restart door and stores, and each asks to restart a pod of its own
 * policy, so no two of them write the same policy ledger. All of them reach the operator-wide ledger (a Lease in the
 * operator's namespace) in the same instant. On the real API server the resourceVersion each write carries makes every
 * write over somebody else's fail with 409; the door then takes its slot again on the newer ledger, and is refused
 * once the cap is reached. Exactly the cap's worth of restarts start; every other is refused with the operator-budget
 * reason and leaves no trace in its policy's ledger.
 */
class OperatorCapConflictsTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final int REPLICAS = 10;
    private static final int CAP = 5;
    private static final RestartSettings ONE_AT_A_TIME = new RestartSettings(ActionType.Evict, false, 1, Duration.ZERO, 10,
            RestartLoopRule.DEFAULT);

    @RegisterExtension
    final RunningUntilTestEnds running = new RunningUntilTestEnds();
    private String ns;
    /** Not the operator's own: a test must not leave restarts behind in the ledger the operators of later tests count. */
    private final String ledgerName = "leakguard-operator-restarts-race-" + System.nanoTime();

    /** The policies (whose ledgers hold the restarts) and the operator-wide ledger go with the test. */
    @AfterEach
    void deleteLedgers() {
        if (ns != null) {
            k8s.admin().resources(LeakPolicy.class).inNamespace(ns).delete();
        }
        k8s.admin().leases().inNamespace(ControlPlane.OPERATOR_NAMESPACE).withName(ledgerName).delete();
    }

    @Test
    void replicasRestartingForDifferentPoliciesAtOnceStartExactlyTheCapsWorth() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        ns = k8s.namespace("operator-cap");
        Workloads workloads = new Workloads(admin, ns);
        running.add(new Kubelet(admin).serve(ns, Map.of("team", "race"), (pod, ip) -> () -> { }));
        List<LeakPolicy> policies = new ArrayList<>();
        for (int i = 0; i < REPLICAS; i++) {
            String app = "app-" + i;
            workloads.deployment(app, 2, Map.of("app", app, "team", "race"), Workloads.freePort(), "256Mi");
            policies.add(admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "policy-" + i, """
                    selector: {matchLabels: {app: %s}}
                    metrics: {port: metrics}
                    action: {type: Evict}
                    """.formatted(app))).create());
        }
        List<Pod> victims = new ArrayList<>();
        for (int i = 0; i < REPLICAS; i++) {
            String app = "app-" + i;
            victims.add(Poll.until(Duration.ofSeconds(60), () -> admin.pods().inNamespace(ns).withLabel("app", app).list().getItems(),
                    pods -> pods.size() == 2 && pods.stream().allMatch(Pods::ready), "two Ready " + app + " pods").get(0));
        }

        CyclicBarrier atTheOperatorLedger = new CyclicBarrier(REPLICAS);
        AtomicInteger conflicts = new AtomicInteger();
        List<RestartOutcome> outcomes = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(REPLICAS);
        try {
            List<Future<RestartOutcome>> asked = new ArrayList<>();
            for (int i = 0; i < REPLICAS; i++) {
                KubernetesClient client = k8s.operatorClient();
                running.add(client::close);
                AnnotationLedgerStore ledgers = new AnnotationLedgerStore(client);
                OperatorLedgerStore shared = new LeaseOperatorLedgerStore(client, ControlPlane.OPERATOR_NAMESPACE, ledgerName,
                        () -> OperatorLedger.startingFrom(ledgers.known(), System.currentTimeMillis()));
                OperatorLedgerStore racing = meetingTheOthers(shared, atTheOperatorLedger, conflicts);
                MicrometerOperatorMetrics metrics = new MicrometerOperatorMetrics("test");
                EventRecorder events = new EventRecorder(client, Clock.systemUTC(), metrics, "leakguard", "replica-" + i);
                running.add(events::close);
                RestartDoor door = new RestartDoor(new WorkloadFacts(client), ledgers, racing, new Disruptor(client), events, metrics,
                        Clock.systemUTC(), CAP);
                LeakPolicy policy = policies.get(i);
                Pod victim = victims.get(i);
                asked.add(threads.submit(() -> door.requestRestart(RestartCluster.resolved(policy, ONE_AT_A_TIME),
                        RestartCluster.target(victim), "made-up leak for the race", null)));
            }
            for (Future<RestartOutcome> outcome : asked) {
                outcomes.add(outcome.get(60, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }

        OperatorLedger stored = new LeaseOperatorLedgerStore(admin, ControlPlane.OPERATOR_NAMESPACE, ledgerName, () -> OperatorLedger.EMPTY)
                .update(UnaryOperator.identity());
        List<String> started = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < REPLICAS; i++) {
            RestartOutcome outcome = outcomes.get(i);
            String uid = victims.get(i).getMetadata().getUid();
            RestartLedger ledger = new AnnotationLedgerStore(admin).update(Refs.policyRef(policies.get(i)), l -> l).after();
            if (outcome.result() == RestartOutcome.Result.done) {
                started.add(uid);
                assertThat(ledger.entries()).as("policy-%d's ledger", i).singleElement()
                        .satisfies(e -> assertThat(e.podUid()).isEqualTo(uid));
                Pod gone = admin.pods().inNamespace(ns).withName(victims.get(i).getMetadata().getName()).get();
                assertThat(gone == null || gone.getMetadata().getDeletionTimestamp() != null).as("%s evicted", uid).isTrue();
            } else {
                refused.add(uid);
                assertThat(outcome.result()).as("outcome of policy-%d: %s", i, outcome.message()).isEqualTo(RestartOutcome.Result.blocked);
                assertThat(outcome.rule()).as("why policy-%d's restart was refused", i).isEqualTo("operator-budget");
                assertThat(ledger.entries()).as("policy-%d's entry given back", i).isEmpty();
                Pod kept = admin.pods().inNamespace(ns).withName(victims.get(i).getMetadata().getName()).get();
                assertThat(kept.getMetadata().getDeletionTimestamp()).as("%s not evicted", uid).isNull();
                assertThat(kept.getMetadata().getAnnotations()).doesNotContainKey(PodAnnotations.RESTART_REQUESTED_AT);
            }
        }
        System.out.printf("operator cap race: %d replicas, cap %d: %d started, %d refused, %d conflicts retried%n",
                REPLICAS, CAP, started.size(), refused.size(), conflicts.get());
        assertThat(conflicts.get()).as("slots refused because another replica wrote first").isPositive();
        assertThat(started).as("restarts started").hasSize(CAP);
        assertThat(stored.starts()).as("slots in the operator-wide ledger: one per started restart, none lost, none doubled")
                .extracting(OperatorLedger.Start::podUid).containsExactlyInAnyOrderElementsOf(started);
    }

    /** Holds each replica's first write of the operator-wide ledger until all have come that far, and counts their repeats. */
    private static OperatorLedgerStore meetingTheOthers(OperatorLedgerStore shared, CyclicBarrier barrier, AtomicInteger conflicts) {
        AtomicBoolean met = new AtomicBoolean();
        return new OperatorLedgerStore() {
            @Override
            public OperatorLedger update(UnaryOperator<OperatorLedger> change) {
                if (met.compareAndSet(false, true)) {
                    try {
                        barrier.await(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("the replicas did not all reach the operator-wide ledger", e);
                    }
                }
                AtomicInteger runs = new AtomicInteger();
                OperatorLedger after = shared.update(ledger -> {
                    runs.incrementAndGet();
                    return change.apply(ledger);
                });
                conflicts.addAndGet(runs.get() - 1);
                return after;
            }

            @Override
            public OperatorLedger known() {
                return shared.known();
            }
        };
    }
}
