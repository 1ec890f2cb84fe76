package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.operator.ShardPlan;
import dev.leakguard.testing.ControlPlane;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.RunningUntilTestEnds;
import dev.leakguard.testing.TestPolicies;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three `leakguard run --shards 3` processes, each authenticating as the operator's ServiceAccount with the
 * shipped RBAC, share 600 pods over real shard Leases: every pod is scraped by exactly one process (counted at the
 * pods' endpoint); when one process is killed with SIGKILL (no chance to give its shard back), a survivor takes
 * the shard over after the lease duration and scrapes its pods again, resuming from the samples the dead one saved
 * for that shard; and one policy's hourly restart budget holds across the shards: 10 leaking pods spread over the
 * shards, budget 2, exactly 2 evictions in the API server's audit log.
 */
class ShardsTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final int SHARDS = 3;
    private static final int FLEET = 600;
    private static final Duration LEASE = Duration.ofSeconds(8);
    private static final Duration FLEET_INTERVAL = Duration.ofSeconds(3);
    /**
     * What a takeover may take beyond the lease: a round of the survivor's lease loop (lease / 7.5), the reconcile
     * that starts the shard's loops (it lists the 600 pods), and one scrape interval for the loops' spread offsets;
     * the rest is slack for a loaded 2-core machine running three operator JVMs, the control plane and 600 pods.
     */
    private static final Duration TAKEOVER_MARGIN = FLEET_INTERVAL.plusSeconds(8);
    private static final String SERVICE_ACCOUNT = "system:serviceaccount:leakguard:leakguard";
    private static final double MB = 1_000_000;

    @RegisterExtension
    final RunningUntilTestEnds running = new RunningUntilTestEnds();
    private String ns;

    /**
     * The policies go with the test: operators of later tests on the same control plane watch every namespace and
     * would otherwise scrape 600 pods nobody serves any more and count these evictions against their hourly cap.
     */
    @AfterEach
    void deletePolicies() {
        if (ns != null) {
            k8s.admin().resources(LeakPolicy.class).inNamespace(ns).delete();
        }
        k8s.deleteOperatorLedger();
    }

    @Test
    void threeReplicasScrapeEachPodOnceTakeOverAKilledOnesShardAndHoldOneRestartBudget() throws Exception {
        k8s.installLeakguard();
        KubernetesClient admin = k8s.admin();
        ns = k8s.namespace("shards");
        Workloads workloads = new Workloads(admin, ns);
        Kubelet kubelet = new Kubelet(admin);
        int fleetPort = Workloads.freePort();
        FleetEndpoint fleet = new FleetEndpoint(fleetPort);
        running.add(fleet);
        running.add(kubelet.serve(ns, Map.of("app", "fleet"), fleet::start));
        workloads.deployment("fleet", FLEET, Map.of("app", "fleet"), fleetPort, "256Mi");
        // Five workloads of two replicas whose memory climbs 2 MB/s from 188 MB towards 256Mi (reached 40 s after start): ten
        // leaking pods, spread over the shards by their UIDs.
        int leakPort = Workloads.freePort();
        running.add(kubelet.serve(ns, Map.of("leaks", "true"), (pod, ip) ->
                new LeakingEndpoint(new InetSocketAddress(ip, leakPort), System.currentTimeMillis(), 180 * MB, 2 * MB, 1)));
        for (int i = 0; i < 5; i++) {
            workloads.deployment("leak-" + i, 2, Map.of("app", "leak-" + i, "leaks", "true"), leakPort, "256Mi");
        }

        Map<String, OperatorProcess> replicas = new TreeMap<>();
        for (String identity : List.of("shards-a", "shards-b", "shards-c")) {
            replicas.put(identity, start(identity, ns));
        }
        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "fleet", """
                selector: {matchLabels: {app: fleet}}
                metrics: {port: metrics, interval: 3s, memory: app_memory_bytes}
                detection: {window: 60s, warmup: 0s, horizon: 30s}
                action: {type: Annotate}
                """)).create();
        admin.resources(LeakPolicy.class).inNamespace(ns).resource(TestPolicies.fromSpec(ns, "leaks", """
                selector: {matchLabels: {leaks: "true"}}
                metrics: {port: metrics, interval: 1s, memory: app_memory_bytes, threads: go_goroutines}
                detection: {window: 20s, warmup: 0s, horizon: 19s}
                action: {type: Evict, maxConcurrent: 10, cooldown: 10m, maxRestartsPerHour: 2}
                """)).create();

        // Each replica holds one shard, and every fleet pod is scraped.
        Poll.until(Duration.ofSeconds(90), () -> holders(admin), h -> h.size() == SHARDS && Set.copyOf(h.values()).size() == SHARDS
                && replicas.keySet().containsAll(h.values()), "each replica to hold one shard");
        Poll.until(Duration.ofSeconds(90), fleet::scrapedPods, n -> n == FLEET, "every fleet pod scraped");
        assertScrapedOnceEach(fleet, FLEET);
        // The status is written by one replica and counts the pods of all shards.
        Poll.until(Duration.ofSeconds(30), () -> watched(admin, ns, "fleet"), n -> n == FLEET, "status.watched of the fleet policy");
        // Each holder saves its own shard's samples.
        for (int shard = 0; shard < SHARDS; shard++) {
            String name = "leakguard-samples-fleet-" + shard + "-of-" + SHARDS;
            Poll.until(Duration.ofSeconds(30), () -> admin.configMaps().inNamespace(ns).withName(name).get(), c -> c != null, name);
        }

        // The restart budget, across shards: two evictions, and the replicas holding the other leaking pods refused by it.
        Poll.until(Duration.ofSeconds(90), () -> evictionsPerPod(ns).values().stream().mapToLong(Long::longValue).sum(), n -> n >= 2,
                "two evictions");
        Poll.until(Duration.ofSeconds(60), () -> deciders(admin, ns), hosts -> hosts.size() >= 2,
                "replicas of at least two shards deciding on leaking pods (evicting, or refused by the budget)");

        // SIGKILL the holder of a shard with a leaking pod: it cannot give its shard back.
        Map<Integer, String> before = holders(admin);
        int victimShard = admin.pods().inNamespace(ns).withLabel("leaks", "true").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .mapToInt(p -> ShardPlan.shardOf(p.getMetadata().getUid(), SHARDS)).min().orElseThrow();
        String victim = before.get(victimShard);
        Set<String> victimPods = fleet.pods().stream().filter(uid -> ShardPlan.shardOf(uid, SHARDS) == victimShard)
                .collect(Collectors.toSet());
        long killedAt = System.nanoTime();
        replicas.get(victim).process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fleet.mark(); // the killed process sends nothing any more: every scrape from here on is a survivor's
        long scrapedAgainAt = Poll.until(LEASE.plus(TAKEOVER_MARGIN).plusSeconds(30),
                () -> fleet.allScrapedAfterMark(victimPods), at -> at > 0, "a survivor scraping the killed replica's pods");
        Duration takeover = Duration.ofNanos(scrapedAgainAt - killedAt);
        String newHolder = holders(admin).get(victimShard);
        System.out.printf("shards: the %d pods of shard %d were all scraped again %.1f s after its holder was killed (lease %d s),"
                + " by %s%n", victimPods.size(), victimShard, takeover.toMillis() / 1000.0, LEASE.toSeconds(), newHolder);
        assertThat(takeover).as("time until every pod of the killed replica's shard is scraped again").isLessThanOrEqualTo(LEASE.plus(TAKEOVER_MARGIN));
        assertThat(newHolder).isNotNull().isNotEqualTo(victim);
        assertThat(replicas.get(newHolder).output()).as("the new holder resumes from the samples the killed one saved for the shard")
                .contains(ns + "/fleet-" + victimShard + "-of-" + SHARDS + ": restored recent samples of");
        assertScrapedOnceEach(fleet, FLEET);

        // Still exactly two evictions, none repeated: the new holder decides on the leaking pods of the shard it took over
        // on the ledger the budget is kept in, and is refused.
        Poll.until(Duration.ofSeconds(30), () -> leakguardEvents(admin, ns).stream().anyMatch(e -> e.getSource().getHost().equals(newHolder)
                        && "RestartBlocked".equals(e.getReason()) && e.getInvolvedObject().getUid() != null
                        && ShardPlan.shardOf(e.getInvolvedObject().getUid(), SHARDS) == victimShard),
                "the new holder deciding on a leaking pod of the shard it took over");
        Map<String, Long> evictions = evictionsPerPod(ns);
        System.out.printf("shards: evictions per pod %s; refused by the budget: %d Events from %s%n", evictions,
                budgetRefusals(admin, ns).size(), deciders(admin, ns));
        assertThat(evictions.values().stream().mapToLong(Long::longValue).sum()).as("evictions of policy leaks (maxRestartsPerHour 2)")
                .isEqualTo(2);
        assertThat(evictions).allSatisfy((pod, count) -> assertThat(count).as("evictions of %s", pod).isEqualTo(1L));
    }

    /**
     * Over five intervals, every pod is scraped five times (±1 for where the window cuts its schedule): a pod that
     * two replicas scraped would be scraped about ten times, one that none scraped not at all.
     */
    private static void assertScrapedOnceEach(FleetEndpoint fleet, int pods) throws InterruptedException {
        Map<String, Integer> before = fleet.counts();
        Thread.sleep(FLEET_INTERVAL.multipliedBy(5).toMillis());
        Map<String, Integer> after = fleet.counts();
        Map<String, Integer> inWindow = new HashMap<>();
        after.forEach((uid, n) -> inWindow.put(uid, n - before.getOrDefault(uid, 0)));
        Map<Integer, Long> histogram = new TreeMap<>(inWindow.values().stream().collect(Collectors.groupingBy(n -> n, Collectors.counting())));
        System.out.printf("shards: scrapes per pod in %d s: %s (scrapes: pods)%n", FLEET_INTERVAL.multipliedBy(5).toSeconds(), histogram);
        assertThat(inWindow).as("pods scraped").hasSize(pods);
        assertThat(inWindow).as("scrapes per pod in five intervals").allSatisfy((uid, n) -> assertThat(n).isBetween(4, 6));
    }

    private OperatorProcess start(String identity, String namespace) throws IOException {
        OperatorProcess process = OperatorProcess.start(identity, k8s.operatorKubeconfig(), List.of("--shards", String.valueOf(SHARDS),
                "--lease-namespace", ControlPlane.OPERATOR_NAMESPACE, "--lease-duration", LEASE.toSeconds() + "s",
                "--save-samples-every", "3s", "--namespace", namespace, "--http-port", "0", "--probe-port", "0"));
        running.add(() -> process.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS));
        return process;
    }

    /** Holder of each shard's Lease, by shard; shards without a Lease or holder are absent. */
    private static Map<Integer, String> holders(KubernetesClient admin) {
        Map<Integer, String> out = new TreeMap<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            Lease lease = admin.leases().inNamespace(ControlPlane.OPERATOR_NAMESPACE).withName(ShardPlan.leaseName(shard, SHARDS)).get();
            if (lease != null && lease.getSpec().getHolderIdentity() != null && !lease.getSpec().getHolderIdentity().isEmpty()) {
                out.put(shard, lease.getSpec().getHolderIdentity());
            }
        }
        return out;
    }

    private static int watched(KubernetesClient admin, String ns, String policy) {
        LeakPolicy current = admin.resources(LeakPolicy.class).inNamespace(ns).withName(policy).get();
        return current.getStatus() == null || current.getStatus().getWatched() == null ? -1 : current.getStatus().getWatched();
    }

    /** Evictions the API server performed for leakguard in the namespace, per pod, from its audit log. */
    private static Map<String, Long> evictionsPerPod(String ns) {
        return k8s.plane().auditedRequests(SERVICE_ACCOUNT).stream()
                .filter(r -> r.namespace().equals(ns) && r.subresource().equals("eviction") && r.code() == 201)
                .collect(Collectors.groupingBy(ControlPlane.AuditedRequest::name, Collectors.counting()));
    }

    private static List<Event> leakguardEvents(KubernetesClient admin, String ns) {
        return admin.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "leakguard".equals(e.getSource().getComponent())).toList();
    }

    private static List<Event> budgetRefusals(KubernetesClient admin, String ns) {
        return leakguardEvents(admin, ns).stream()
                .filter(e -> "RestartBlocked".equals(e.getReason()) && e.getMessage().contains("maxRestartsPerHour is 2")).toList();
    }

    /** The replicas that evicted a leaking pod or were refused by the policy's budget for one. */
    private static Set<String> deciders(KubernetesClient admin, String ns) {
        Set<String> hosts = new HashSet<>();
        leakguardEvents(admin, ns).stream().filter(e -> "Evicted".equals(e.getReason())).forEach(e -> hosts.add(e.getSource().getHost()));
        budgetRefusals(admin, ns).forEach(e -> hosts.add(e.getSource().getHost()));
        return hosts;
    }

    /**
     * The fleet's containers, cheaply: one HTTP server on every loopback address at one port answers for all 600 pods
     * with a flat memory series, and counts each pod's scrapes by the address it was reached at.
     */
    private static final class FleetEndpoint implements AutoCloseable {
        private static final byte[] BODY = ("# TYPE app_memory_bytes gauge\napp_memory_bytes 1.0e8\n").getBytes(StandardCharsets.UTF_8);
        private final HttpServer server;
        private final ExecutorService threads = Executors.newFixedThreadPool(4);
        private final Map<String, String> uidByAddress = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> scrapes = new ConcurrentHashMap<>();
        /** Each pod's first scrape after the mark, once a mark is set (System.nanoTime). */
        private final Map<String, Long> firstScrapeAfterMark = new ConcurrentHashMap<>();
        private volatile boolean marked;

        FleetEndpoint(int port) throws IOException {
            server = HttpServer.create(new InetSocketAddress(port), 1024);
            server.createContext("/", exchange -> {
                try (exchange) {
                    String uid = uidByAddress.get(exchange.getLocalAddress().getAddress().getHostAddress());
                    if (uid == null) {
                        exchange.sendResponseHeaders(404, -1);
                        return;
                    }
                    scrapes.computeIfAbsent(uid, u -> new AtomicInteger()).incrementAndGet();
                    if (marked) {
                        firstScrapeAfterMark.putIfAbsent(uid, System.nanoTime());
                    }
                    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
                    exchange.sendResponseHeaders(200, BODY.length);
                    exchange.getResponseBody().write(BODY);
                }
            });
            server.setExecutor(threads);
            server.start();
        }

        AutoCloseable start(Pod pod, InetAddress address) {
            uidByAddress.put(address.getHostAddress(), pod.getMetadata().getUid());
            return () -> uidByAddress.remove(address.getHostAddress());
        }

        Set<String> pods() {
            return Set.copyOf(uidByAddress.values());
        }

        int scrapedPods() {
            return scrapes.size();
        }

        Map<String, Integer> counts() {
            Map<String, Integer> out = new HashMap<>();
            scrapes.forEach((uid, n) -> out.put(uid, n.get()));
            return out;
        }

        /** From now on, each pod's first scrape is noted. */
        void mark() {
            firstScrapeAfterMark.clear();
            marked = true;
        }

        /** When the last of {@code pods} had its first scrape after the mark (System.nanoTime), or 0 while some had none yet. */
        long allScrapedAfterMark(Set<String> pods) {
            long latest = 0;
            for (String uid : pods) {
                Long at = firstScrapeAfterMark.get(uid);
                if (at == null) {
                    return 0;
                }
                latest = Math.max(latest, at);
            }
            return latest;
        }

        @Override
        public void close() {
            server.stop(0);
            threads.shutdownNow();
        }
    }
}
