package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.testing.ControlPlane;
import dev.leakguard.testing.CuttableProxy;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.RunningUntilTestEnds;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Shard Leases on the real API server, as the operator's ServiceAccount: fair shares as replicas come and go, a
 * shard given back before the next holder takes it, shards handed over at once on a clean stop, and after the lease
 * duration from a replica cut off from the API server — which stops working on them by itself first.
 */
class ShardLeasesTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final int SHARDS = 4;
    private static final Duration LEASE = Duration.ofSeconds(3);

    @RegisterExtension
    final RunningUntilTestEnds running = new RunningUntilTestEnds();
    /** Every change any replica was told of, in order: "a-2" (a lost shard 2), "b+2" (b took shard 2). */
    private final List<String> changes = new CopyOnWriteArrayList<>();

    @Test
    void replicasShareFairlyHandOverOnStopAndTakeOverACutOffOnesShardsAfterTheLease() throws Exception {
        k8s.installLeakguard();
        ShardLeases a = replica("lease-test-a", k8s.operatorClient());
        Poll.until(Duration.ofSeconds(20), () -> held(a).size() == SHARDS, "a, alone, to hold every shard");

        CuttableProxy proxy = new CuttableProxy(URI.create(k8s.plane().url()));
        running.add(proxy);
        ShardLeases b = replica("lease-test-b", k8s.plane().client(proxy.url(), k8s.operatorToken(), "leakguard/test"));
        Poll.until(Duration.ofSeconds(20), () -> held(a).size() == 2 && held(b).size() == 2, "a and b to hold two shards each");
        assertThat(held(a)).doesNotContainAnyElementsOf(held(b));
        for (int shard : held(b)) {
            assertThat(changes.indexOf("a-" + shard)).as("a stopped working on shard %d before b took it", shard)
                    .isNotNegative().isLessThan(changes.indexOf("b+" + shard));
            assertThat(holder(shard)).isEqualTo("lease-test-b");
        }

        // A third replica: fair share ceil(4 / 3) = 2, so it may stay without a shard; all four stay held, none twice.
        ShardLeases c = replica("lease-test-c", k8s.operatorClient());
        Thread.sleep(LEASE.toMillis());
        assertThat(held(a).size() + held(b).size() + held(c).size()).isEqualTo(SHARDS);
        c.close();

        // b is cut off from the API server: it stops working on its shards within the renew deadline, by itself, and a
        // takes them once their Leases have not changed for the lease duration.
        Set<Integer> bHeld = held(b);
        long cut = System.nanoTime();
        proxy.cut();
        Poll.until(LEASE, () -> held(b).isEmpty(), "b to stop working on its shards");
        Duration stopped = Duration.ofNanos(System.nanoTime() - cut);
        Poll.until(LEASE.multipliedBy(4), () -> held(a).size() == SHARDS, "a to take over b's shards");
        Duration takenOver = Duration.ofNanos(System.nanoTime() - cut);
        System.out.printf("shard leases: cut off, b stopped working after %.1f s, a took over after %.1f s (lease %d s)%n",
                stopped.toMillis() / 1000.0, takenOver.toMillis() / 1000.0, LEASE.toSeconds());
        assertThat(stopped).as("b stops before a may take over").isLessThan(takenOver);
        assertThat(takenOver).as("takeover").isGreaterThanOrEqualTo(LEASE);
        bHeld.forEach(shard -> assertThat(holder(shard)).isEqualTo("lease-test-a"));

        // A clean stop gives the shards back at once: b, back on the API server, takes its share long before a lease.
        proxy.restore();
        Poll.until(LEASE.multipliedBy(4), () -> held(b).size() == 2, "b, reconnected, to take its fair share back");
        long closed = System.nanoTime();
        a.close();
        Poll.until(LEASE.multipliedBy(2), () -> held(b).size() == SHARDS, "b to take a's shards");
        Duration handedOver = Duration.ofNanos(System.nanoTime() - closed);
        System.out.printf("shard leases: after a clean stop, b held every shard %.1f s later%n", handedOver.toMillis() / 1000.0);
        assertThat(handedOver).as("hand-over after a clean stop").isLessThan(LEASE);
    }

    private ShardLeases replica(String identity, KubernetesClient client) {
        ShardLeases leases = new ShardLeases(client, ScaledClock.system(), ControlPlane.OPERATOR_NAMESPACE, identity, SHARDS, LEASE);
        running.add(client);
        running.add(leases);
        String name = identity.substring(identity.length() - 1);
        leases.start((gained, lost) -> {
            lost.forEach(shard -> changes.add(name + "-" + shard));
            gained.forEach(shard -> changes.add(name + "+" + shard));
        });
        return leases;
    }

    private static Set<Integer> held(ShardLeases leases) {
        Set<Integer> out = new TreeSet<>();
        IntStream.range(0, SHARDS).filter(leases::holds).forEach(out::add);
        return out;
    }

    private static String holder(int shard) {
        Lease lease = k8s.admin().leases().inNamespace(ControlPlane.OPERATOR_NAMESPACE).withName(ShardPlan.leaseName(shard, SHARDS)).get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }
}
