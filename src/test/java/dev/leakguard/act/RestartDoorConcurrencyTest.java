package dev.leakguard.act;

import static dev.leakguard.act.RestartCluster.WHY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.EventReason;
import dev.leakguard.decide.LedgerEntry;
import dev.leakguard.decide.OperatorLedger;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.decide.RestartLoopRule;
import dev.leakguard.decide.RestartOutcome;
import dev.leakguard.decide.RestartSettings;
import dev.leakguard.decide.RestartStrategy;
import dev.leakguard.engine.PolicyRef;
import dev.leakguard.kube.Refs;
import dev.leakguard.policy.ActionType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The restart door holds no lock across a request, and still never lets two restarts past maxConcurrent. */
class RestartDoorConcurrencyTest {
    private static final RestartSettings ONE_AT_A_TIME = new RestartSettings(ActionType.Evict, false, 1, Duration.ZERO, 10,
            RestartLoopRule.DEFAULT);
    private final RestartCluster cluster = new RestartCluster();
    private final TestingMetrics metrics = new TestingMetrics();
    private final Clock frozen = RestartCluster.frozenClock(Duration.ZERO);
    private final AnnotationLedgerStore ledgers = new AnnotationLedgerStore(cluster.client);

    @AfterEach
    void stop() {
        cluster.heldEvictions.release();
        cluster.close();
    }

    /**
     * An OOM kill seen while an eviction hangs on the API server is recorded at once: the tracker
     * shares no lock with the door (before, both were synchronized on the one restarter).
     */
    @Test
    void anOomKillIsRecordedWhileARestartHangsOnTheApiServer() throws Exception {
        cluster.deployment("web", 3, "RollingUpdate", "1");
        LeakPolicy policy = cluster.policy("web-leaks", ActionType.Evict, false, 1, "0m", 10);
        RestartCluster.Door door = cluster.door(metrics, Duration.ZERO, 100);
        cluster.heldEvictions.hold();

        CompletableFuture<RestartOutcome> restart = CompletableFuture.supplyAsync(
                () -> door.requestRestart(policy, ONE_AT_A_TIME, cluster.pod("web-0"), WHY));
        assertThat(cluster.heldEvictions.awaitHeld()).as("the eviction request is on its way").isTrue();

        Pod healthy = cluster.pod("web-1");
        door.onPodChanged(policy, healthy, RestartCluster.oomKilled(healthy, 1, null));

        assertThat(restart).as("the eviction still hangs").isNotDone();
        assertThat(metrics.oomKillsMissed()).isEqualTo(1);
        assertThat(door.score(cluster.reread(policy)).oomKillsMissed()).isEqualTo(1);
        assertThat(cluster.events(EventReason.OOMKillMissed)).singleElement()
                .satisfies(e -> assertThat(e.getInvolvedObject().getName()).isEqualTo("web-1"));

        cluster.heldEvictions.release();
        assertThat(restart.get(10, TimeUnit.SECONDS).result()).isEqualTo(RestartOutcome.Result.done);
        assertThat(door.score(cluster.reread(policy))).isEqualTo(new PolicyScore(1, 1));
    }

    /**
     * Another writer records a restart between the door's read of the ledger and its write: the
     * write is refused (409), the door decides again on the newer ledger and finds maxConcurrent
     * spent. No eviction is sent.
     */
    @Test
    void aConflictingLedgerWriteMakesTheDoorDecideAgainOnTheNewerLedger() {
        ReplicaSet replicaSet = cluster.deployment("web", 3, "RollingUpdate", "1");
        LeakPolicy policy = cluster.policy("web-leaks", ActionType.Evict, false, 1, "0m", 10);
        AnnotationLedgerStore stored = new AnnotationLedgerStore(cluster.client);
        AnnotationLedgerStore otherInstance = new AnnotationLedgerStore(cluster.client);
        LedgerEntry othersRestart = new LedgerEntry("web-1", cluster.pod("web-1").getMetadata().getUid(), "Deployment/web",
                "ReplicaSet", replicaSet.getMetadata().getName(), replicaSet.getMetadata().getUid(), RestartStrategy.Evict,
                RestartCluster.START.toEpochMilli(), 3, null, false);
        AtomicBoolean raced = new AtomicBoolean();
        AtomicBoolean decidedTwice = new AtomicBoolean();
        LedgerStore racing = new LedgerStore() {
            @Override
            public LedgerWrite update(PolicyRef policy, UnaryOperator<RestartLedger> change) {
                return stored.update(policy, ledger -> {
                    if (raced.compareAndSet(false, true)) {
                        otherInstance.update(policy, l -> l.withRestart(othersRestart, othersRestart.atMillis(), Duration.ofHours(1)));
                    } else {
                        decidedTwice.set(true);
                    }
                    return change.apply(ledger);
                });
            }

            @Override
            public Map<String, RestartLedger> known() {
                return stored.known();
            }

            @Override
            public PolicyScore score(LeakPolicy policy) {
                return stored.score(policy);
            }
        };
        Clock clock = RestartCluster.frozenClock(Duration.ZERO);
        EventRecorder events = new EventRecorder(cluster.client, clock, metrics, "leakguard", "test-host");
        RestartDoor door = new RestartDoor(new WorkloadFacts(cluster.client), racing, cluster.operatorLedger(racing, clock),
                new Disruptor(cluster.client), events, metrics,
                clock, 100);

        RestartOutcome outcome = door.requestRestart(RestartCluster.resolved(policy, ONE_AT_A_TIME),
                RestartCluster.target(cluster.pod("web-0")), WHY, null);
        events.close();

        assertThat(decidedTwice).as("the refused write was decided again").isTrue();
        assertThat(outcome.rule()).isEqualTo("max-concurrent");
        assertThat(cluster.requests("create", "pods", "eviction", null)).isZero();
        assertThat(racing.score(cluster.reread(policy)).restarts()).as("only the other writer's restart is recorded").isEqualTo(1);
    }

    /**
     * Two replicas deciding for two different policies write two different policy ledgers, so neither conflicts there:
     * the other replica takes the operator's last slot after this door decided on its (older) copy of the operator-wide
     * ledger. The door's slot is taken on the ledger as stored, so it is refused with the operator-budget reason, gives
     * its policy entry back and starts nothing.
     */
    @Test
    void anotherReplicaTakingTheLastOperatorSlotFirstBlocksTheRestartAndItsPolicyEntryIsGivenBack() {
        LeakPolicy policy = webLeaks();
        OperatorLedgerStore stored = cluster.operatorLedger(ledgers, frozen);
        OperatorLedgerStore otherReplica = cluster.operatorLedger(new AnnotationLedgerStore(cluster.client), frozen);
        OperatorLedger.Start othersRestart = new OperatorLedger.Start("other-policy-uid", "other-pod-uid",
                RestartCluster.START.toEpochMilli(), false);
        AtomicBoolean raced = new AtomicBoolean();
        OperatorLedgerStore racing = new OperatorLedgerStore() {
            @Override
            public OperatorLedger update(UnaryOperator<OperatorLedger> change) {
                if (raced.compareAndSet(false, true)) {
                    otherReplica.update(l -> l.reserve(othersRestart, 1).ledger());
                }
                return stored.update(change);
            }

            @Override
            public OperatorLedger known() {
                return stored.known();
            }
        };

        RestartOutcome outcome = request(doorWith(racing, 1), policy);

        assertThat(raced).as("the slot was taken on the stored ledger, after deciding").isTrue();
        assertThat(outcome.result()).isEqualTo(RestartOutcome.Result.blocked);
        assertThat(outcome.rule()).isEqualTo("operator-budget");
        assertThat(outcome.message()).contains("1 restart(s) operator-wide in the last hour, the operator cap is 1");
        assertThat(cluster.requests("create", "pods", "eviction", null)).isZero();
        assertThat(cluster.pod("web-0").getMetadata().getAnnotations()).doesNotContainKey(PodAnnotations.RESTART_REQUESTED_AT);
        assertThat(ledgers.update(Refs.policyRef(policy), l -> l).after().entries()).as("the policy entry given back").isEmpty();
        assertThat(stored.update(UnaryOperator.identity()).starts()).containsExactly(othersRestart);
    }

    /** The policy's ledger recorded the restart but its operator-wide slot could not be written: nothing starts, the entry goes. */
    @Test
    void aFailedOperatorLedgerWriteStartsNothingAndGivesThePolicyEntryBack() {
        LeakPolicy policy = webLeaks();
        OperatorLedgerStore unwritable = new OperatorLedgerStore() {
            @Override
            public OperatorLedger update(UnaryOperator<OperatorLedger> change) {
                throw new KubernetesClientException("the server is currently unable to handle the request", 503, null);
            }

            @Override
            public OperatorLedger known() {
                return OperatorLedger.EMPTY;
            }
        };

        RestartOutcome outcome = request(doorWith(unwritable, 100), policy);

        assertThat(outcome.result()).isEqualTo(RestartOutcome.Result.failed);
        assertThat(outcome.message()).contains("could not record the restart in the operator-wide ledger");
        assertThat(cluster.requests("create", "pods", "eviction", null)).isZero();
        assertThat(cluster.pod("web-0").getMetadata().getAnnotations()).doesNotContainKey(PodAnnotations.RESTART_REQUESTED_AT);
        assertThat(ledgers.update(Refs.policyRef(policy), l -> l).after().entries()).as("the policy entry given back").isEmpty();
    }

    /** Three Ready replicas of Deployment web and a policy that evicts them one at a time. */
    private LeakPolicy webLeaks() {
        cluster.deployment("web", 3, "RollingUpdate", "1");
        return cluster.policy("web-leaks", ActionType.Evict, false, 1, "0m", 10);
    }

    /** A door on {@link #ledgers} and the given operator-wide ledger. */
    private RestartDoor doorWith(OperatorLedgerStore operatorLedger, int operatorCap) {
        return new RestartDoor(new WorkloadFacts(cluster.client), ledgers, operatorLedger, new Disruptor(cluster.client),
                cluster.eventRecorder(frozen, metrics), metrics, frozen, operatorCap);
    }

    private RestartOutcome request(RestartDoor door, LeakPolicy policy) {
        return door.requestRestart(RestartCluster.resolved(policy, ONE_AT_A_TIME), RestartCluster.target(cluster.pod("web-0")), WHY, null);
    }
}
