package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.AnnotationLedgerStore;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.LedgerEntry;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.decide.RestartStrategy;
import dev.leakguard.engine.PolicyRef;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.TestPolicies;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The restart ledger with writers in different processes, as shards make them: each replica has its own client and
 * store, and all write the one ledger on the policy. On the real API server, the resourceVersion a ledger write
 * carries makes every write over somebody else's fail with 409; the store then applies its change again to the
 * newer ledger, and gives up with that 409 after a few attempts. No write is ever lost or counted twice: the stored
 * ledger holds exactly the restarts whose writes returned.
 */
class LedgerConflictsTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final int WRITERS = 6;
    private static final int RESTARTS_EACH = 8;

    @Test
    void writersInSeveralReplicasLoseCleanlyRetryAndNeverLoseARestart() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        String ns = k8s.namespace("ledger-race");
        LeakPolicy policy = admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "race", """
                selector: {matchLabels: {app: race}}
                metrics: {port: metrics}
                action: {type: Evict}
                """)).create();
        PolicyRef ref = new PolicyRef(ns, "race", policy.getMetadata().getUid());

        List<KubernetesClient> replicas = new ArrayList<>();
        Set<String> recorded = ConcurrentHashMap.newKeySet();
        AtomicInteger conflicts = new AtomicInteger();
        AtomicInteger gaveUp = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(WRITERS);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int writer = 0; writer < WRITERS; writer++) {
                KubernetesClient client = k8s.operatorClient();
                replicas.add(client);
                AnnotationLedgerStore store = new AnnotationLedgerStore(client);
                String name = "replica-" + writer;
                done.add(threads.submit(() -> {
                    go.await();
                    for (int i = 0; i < RESTARTS_EACH; i++) {
                        LedgerEntry entry = restart(name + "-pod-" + i);
                        AtomicInteger runs = new AtomicInteger();
                        try {
                            store.update(ref, ledger -> {
                                runs.incrementAndGet();
                                return ledger.withRestart(entry, entry.atMillis(), Duration.ofHours(1));
                            });
                            recorded.add(entry.pod());
                        } catch (KubernetesClientException e) {
                            assertThat(e.getCode()).as("why a write gave up").isEqualTo(409);
                            gaveUp.incrementAndGet();
                        }
                        conflicts.addAndGet(runs.get() - 1);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
            replicas.forEach(KubernetesClient::close);
        }

        RestartLedger stored = new AnnotationLedgerStore(admin).update(ref, l -> l).after();
        Set<String> inLedger = stored.entries().stream().map(LedgerEntry::pod).collect(Collectors.toSet());
        System.out.printf("ledger race: %d writers x %d restarts: %d recorded, %d gave up after conflicts, %d conflicts retried%n",
                WRITERS, RESTARTS_EACH, recorded.size(), gaveUp.get(), conflicts.get());
        assertThat(conflicts.get()).as("writes refused because another replica wrote first").isPositive();
        assertThat(inLedger).as("restarts in the stored ledger: exactly those whose writes returned").isEqualTo(recorded);
        assertThat(stored.entries()).as("no restart recorded twice").hasSize(recorded.size());
        assertThat(stored.restarts()).as("the restart count for status").isEqualTo(recorded.size());
        assertThat(recorded.size() + gaveUp.get()).isEqualTo(WRITERS * RESTARTS_EACH);
    }

    private static LedgerEntry restart(String pod) {
        return new LedgerEntry(pod, pod + "-uid", "Deployment/race", "ReplicaSet", "race-1", "race-1-uid", RestartStrategy.Evict,
                System.currentTimeMillis(), 2, null, false);
    }
}
