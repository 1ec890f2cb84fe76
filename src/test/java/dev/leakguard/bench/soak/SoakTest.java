package dev.leakguard.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.demo.DemoCluster;
import dev.leakguard.faults.Canary;
import dev.leakguard.faults.FaultInjectingDispatcher.Fault;
import dev.leakguard.faults.FaultInjectingDispatcher;
import dev.leakguard.faults.HostileEndpoint;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.TestPods;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.Counter;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The operator under a rolling schedule of API-server faults, next to hostile metrics endpoints and
 * the demo's cluster (two leaking Go pods that leakguard must evict, a steady one and a JVM one it
 * must leave alone, a kubelet that replaces evicted pods and OOM-kills what reaches its limit).
 * Every few seconds it samples the JVM's thread count, its heap after a full GC and its open file
 * descriptors; at the end the last quarter of the samples must match the first (heap within
 * 20 % + 24 MiB, threads within 5, descriptors within 20),
 * and no action may have been unjustified: no eviction but of the leaking workload, none twice, and
 * no OOMPredicted, restart or eviction for a steady pod or a pod whose endpoint is hostile.
 *
 * <p>The suite runs 80 s of it ({@link #shortSoak}); the ten-minute run is a benchmark main:
 * {@code mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.bench.soak.SoakTest -Dbench.args="--minutes 10"}.
 * Everything listens on loopback and stops by itself.
 */
public class SoakTest {
    private static final String HOSTILE_NS = "hostile";
    private static final double SPEED = 120;
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(4);
    private static final Duration PHASE = Duration.ofSeconds(8);
    private static final Duration EVENT_TTL = Duration.ofHours(1);
    private static final Set<HostileEndpoint.Behaviour> HOSTILE = EnumSet.of(
            HostileEndpoint.Behaviour.OVERSIZED, HostileEndpoint.Behaviour.SLOW_DRIP, HostileEndpoint.Behaviour.REDIRECT,
            HostileEndpoint.Behaviour.GARBAGE, HostileEndpoint.Behaviour.GZIP_BOMB, HostileEndpoint.Behaviour.MALFORMED,
            HostileEndpoint.Behaviour.NAN, HostileEndpoint.Behaviour.DUPLICATE_SERIES, HostileEndpoint.Behaviour.HUGE_LABEL_VALUE,
            HostileEndpoint.Behaviour.FLAPPING);

    /** One sample of the process: real seconds since the start, live threads, heap used after a full GC, open file descriptors. */
    record Sample(double seconds, int threads, long heapBytes, long fileDescriptors) {
    }

    /** What a soak saw. {@code violations} lists every unjustified action, with what and when. */
    record Report(List<Sample> samples, Map<String, Integer> evictions, Set<String> violations, Map<String, Double> counters,
                  int oomKills, int replacements) {
        /** Samples after the first two (class loading, JIT and caches settle in the first seconds). */
        List<Sample> settled() {
            return samples.subList(Math.min(2, samples.size()), samples.size());
        }

        long firstQuarterHeap() {
            return median(quarter(true).stream().mapToLong(Sample::heapBytes).toArray());
        }

        long lastQuarterHeap() {
            return median(quarter(false).stream().mapToLong(Sample::heapBytes).toArray());
        }

        long firstQuarterThreads() {
            return median(quarter(true).stream().mapToLong(Sample::threads).toArray());
        }

        long lastQuarterThreads() {
            return median(quarter(false).stream().mapToLong(Sample::threads).toArray());
        }

        long firstQuarterFileDescriptors() {
            return median(quarter(true).stream().mapToLong(Sample::fileDescriptors).toArray());
        }

        long lastQuarterFileDescriptors() {
            return median(quarter(false).stream().mapToLong(Sample::fileDescriptors).toArray());
        }

        /** Sockets come and go with scrapes and replaced pods; a leak adds one per scrape of a broken pod. */
        boolean fileDescriptorsFlat() {
            return lastQuarterFileDescriptors() <= firstQuarterFileDescriptors() + 20;
        }

        boolean heapFlat() {
            return lastQuarterHeap() <= firstQuarterHeap() * 1.2 + (24 << 20);
        }

        boolean threadsFlat() {
            return lastQuarterThreads() <= firstQuarterThreads() + 5;
        }

        long leakingEvictions() {
            return evictions.keySet().stream().filter(pod -> pod.startsWith("shop/checkout-api-")).count();
        }

        private List<Sample> quarter(boolean first) {
            List<Sample> settled = settled();
            int size = Math.max(1, settled.size() / 4);
            return first ? settled.subList(0, size) : settled.subList(settled.size() - size, settled.size());
        }

        private static long median(long[] values) {
            long[] sorted = values.clone();
            java.util.Arrays.sort(sorted);
            return sorted.length == 0 ? 0 : sorted[sorted.length / 2];
        }

        void print(PrintStream out) {
            out.println("seconds  threads  heap-after-GC-MiB  open-fds");
            for (Sample s : samples) {
                out.printf(Locale.ROOT, "%7.0f  %7d  %17.1f  %8d%n", s.seconds(), s.threads(), s.heapBytes() / 1048576.0,
                        s.fileDescriptors());
            }
            out.printf(Locale.ROOT, "heap median: first quarter %.1f MiB, last quarter %.1f MiB -> %s%n",
                    firstQuarterHeap() / 1048576.0, lastQuarterHeap() / 1048576.0, heapFlat() ? "flat" : "GROWING");
            out.printf(Locale.ROOT, "threads median: first quarter %d, last quarter %d -> %s%n",
                    firstQuarterThreads(), lastQuarterThreads(), threadsFlat() ? "flat" : "GROWING");
            out.printf(Locale.ROOT, "open file descriptors median: first quarter %d, last quarter %d -> %s%n",
                    firstQuarterFileDescriptors(), lastQuarterFileDescriptors(), fileDescriptorsFlat() ? "flat" : "GROWING");
            out.println("evictions: " + evictions);
            out.println("demo kubelet: " + oomKills + " OOM kills, " + replacements + " replacements");
            counters.forEach((name, value) -> out.printf(Locale.ROOT, "%s %.0f%n", name, value));
            out.println(violations.isEmpty() ? "unjustified actions: none" : "UNJUSTIFIED ACTIONS: " + violations);
        }
    }

    @Test
    void shortSoak() throws Exception {
        Report report = run(Duration.ofSeconds(80), System.out);

        assertThat(report.violations()).isEmpty();
        assertThat(report.evictions().values()).as("no pod evicted twice").allMatch(count -> count == 1);
        assertThat(report.leakingEvictions()).as("the leaking pods were still evicted, under faults").isPositive();
        assertThat(report.threadsFlat()).as("threads flat").isTrue();
        assertThat(report.heapFlat()).as("heap flat").isTrue();
        assertThat(report.fileDescriptorsFlat()).as("open file descriptors flat").isTrue();
    }

    public static void main(String[] args) throws Exception {
        double minutes = 10;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--minutes") && i + 1 < args.length) {
                minutes = Double.parseDouble(args[++i]);
            } else {
                System.err.println("usage: SoakTest [--minutes N]");
                System.exit(2);
            }
        }
        Report report = run(Duration.ofMillis(Math.round(minutes * 60_000)), System.out);
        boolean ok = report.violations().isEmpty() && report.threadsFlat() && report.heapFlat() && report.fileDescriptorsFlat()
                && report.evictions().values().stream().allMatch(count -> count == 1);
        System.out.println(ok ? "SOAK OK" : "SOAK FAILED");
        System.exit(ok ? 0 : 1);
    }

    static Report run(Duration length, PrintStream out) throws Exception {
        ScaledClock clock = ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), SPEED);
        FaultInjectingDispatcher dispatcher = new FaultInjectingDispatcher();
        List<AutoCloseable> resources = new ArrayList<>();
        Set<String> violations = new TreeSet<>();
        try (DemoApiServer api = new DemoApiServer(dispatcher); DemoCluster demo = new DemoCluster(api.client(), clock)) {
            KubernetesClient client = api.client();
            demo.start();
            Canary elsewhere = new Canary();
            resources.add(elsewhere);
            startHostilePods(client, clock, elsewhere, resources);
            KubernetesClient operatorClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty())
                    .withMasterUrl(api.url()).withRequestRetryBackoffLimit(2).withRequestRetryBackoffInterval(50).build()).build();
            resources.add(operatorClient);
            MicrometerOperatorMetrics metrics = new MicrometerOperatorMetrics("soak");
            LeakguardOperator operator = new LeakguardOperator(operatorClient, clock, metrics,
                    LeakguardOperator.Settings.builder().statusRefresh(Duration.ofSeconds(1).multipliedBy((long) SPEED)).build());
            resources.add(operator);
            operator.start();

            List<Sample> samples = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + length.toNanos();
            long nextSample = start;
            int phase = -1;
            List<Fault> active = new ArrayList<>();
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                int currentPhase = (int) ((now - start) / PHASE.toNanos());
                if (currentPhase != phase) {
                    phase = currentPhase;
                    active.forEach(dispatcher::remove);
                    active = injectPhase(dispatcher, phase);
                }
                if (now >= nextSample) {
                    checkJustified(client, dispatcher, elsewhere, violations);
                    expireEvents(client, clock);
                    dispatcher.forgetRequests();
                    api.forgetRecordedRequests();
                    samples.add(sample((now - start) / 1e9));
                    nextSample += SAMPLE_EVERY.toNanos();
                }
                Thread.sleep(200);
            }
            dispatcher.clearFaults();
            checkJustified(client, dispatcher, elsewhere, violations);
            Report report = new Report(samples, dispatcher.evicted(), violations, counters(metrics), demo.oomKills(),
                    demo.replacements());
            report.print(out);
            return report;
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                resources.get(i).close();
            }
        }
    }

    /** The rolling fault schedule: every phase one kind of trouble, then a calm one, round and round. */
    private static List<Fault> injectPhase(FaultInjectingDispatcher dispatcher, int phase) {
        String evictions = "/api/v1/namespaces/[^/]+/pods/[^/]+/eviction";
        return switch (phase % 7) {
            case 0 -> List.of(dispatcher.fail("POST", "/api/v1/namespaces/[^/]+/events", 500, 0, -1));
            case 1 -> List.of(dispatcher.fail("PATCH", "/apis/leakguard\\.dev/v1alpha1/namespaces/[^/]+/leakpolicies/[^/]+/status",
                    429, 1, -1));
            case 2 -> {
                dispatcher.dropWatches();
                yield List.of(dispatcher.fail("WATCH", "/.*", 500, 0, 4));
            }
            case 3 -> {
                dispatcher.expireWatches();
                yield List.of(dispatcher.fail("WATCH", "/.*", 410, 0, 2));
            }
            case 4 -> List.of(dispatcher.fail("POST", evictions, 500, 0, 1), dispatcher.failAfterActing("POST", evictions, 503, 1));
            case 5 -> List.of(dispatcher.delay("PATCH", "/api/v1/namespaces/.*", Duration.ofSeconds(2), -1),
                    dispatcher.delay("GET", "/api/v1/namespaces/.*", Duration.ofSeconds(1), -1));
            default -> List.of();
        };
    }

    private static void startHostilePods(KubernetesClient client, ScaledClock clock, Canary elsewhere, List<AutoCloseable> resources) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(HOSTILE_NS).endMetadata().build()).create();
        ReplicaSet owner = client.apps().replicaSets().inNamespace(HOSTILE_NS).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName("hostile-6b8f").withNamespace(HOSTILE_NS).endMetadata()
                .withNewSpec().withReplicas(HOSTILE.size()).withNewSelector().withMatchLabels(Map.of("app", "hostile")).endSelector()
                .endSpec().build()).create();
        for (HostileEndpoint.Behaviour behaviour : HOSTILE) {
            HostileEndpoint endpoint = new HostileEndpoint(behaviour, elsewhere.port());
            resources.add(endpoint);
            String name = behaviour.name().toLowerCase(Locale.ROOT).replace('_', '-');
            client.pods().inNamespace(HOSTILE_NS).resource(TestPods.ownedBy(
                    TestPods.running(HOSTILE_NS, name, Map.of("app", "hostile"), endpoint.port(), "512Mi", clock.instant()),
                    "ReplicaSet", owner).build()).create();
        }
        // Any leak verdict would be acted on at once: no cooldown, every pod may be in flight.
        client.resources(LeakPolicy.class).inNamespace(HOSTILE_NS).resource(Serialization.unmarshal("""
                apiVersion: leakguard.dev/v1alpha1
                kind: LeakPolicy
                metadata: {name: hostile, namespace: hostile}
                spec:
                  selector: {matchLabels: {app: hostile}}
                  metrics: {port: metrics, interval: 2m}
                  detection: {window: 60m, warmup: 5m, horizon: 15m}
                  action: {type: Evict, maxConcurrent: 20, cooldown: 1s}
                """, LeakPolicy.class)).create();
    }

    /** Records every action leakguard had no reason for. Events are read before the TTL removes them. */
    private static void checkJustified(KubernetesClient client, FaultInjectingDispatcher dispatcher, Canary elsewhere,
                                       Set<String> violations) {
        dispatcher.evicted().forEach((pod, count) -> {
            if (!pod.startsWith("shop/checkout-api-")) {
                violations.add("evicted " + pod);
            }
            if (count > 1) {
                violations.add("evicted " + pod + " " + count + " times");
            }
        });
        for (Event event : client.v1().events().inAnyNamespace().list().getItems()) {
            String involved = event.getInvolvedObject().getNamespace() + "/" + event.getInvolvedObject().getName();
            // LeakSuspected announces no action (a steady pod's floor may drift significantly yet harmlessly), so it is not counted.
            boolean leakNews = Set.of("OOMPredicted", "Evicted", "RolloutRestarted", "WouldRestart").contains(event.getReason());
            boolean neverLeaks = involved.startsWith(HOSTILE_NS + "/") || involved.startsWith("shop/catalog-");
            if (leakNews && neverLeaks) {
                violations.add(event.getReason() + " on " + involved + ": " + event.getMessage());
            }
        }
        if (elsewhere.hits() > 0) {
            violations.add(elsewhere.hits() + " requests followed a redirect");
        }
    }

    /** The API server's --event-ttl (1 h): without it the mock would hold every Event of the run in this heap. */
    private static void expireEvents(KubernetesClient client, ScaledClock clock) {
        Instant cutoff = clock.instant().minus(EVENT_TTL);
        for (Event event : client.v1().events().inAnyNamespace().list().getItems()) {
            String last = event.getLastTimestamp();
            if (last != null && Instant.parse(last).isBefore(cutoff)) {
                client.v1().events().inNamespace(event.getMetadata().getNamespace()).withName(event.getMetadata().getName()).delete();
            }
        }
    }

    private static Sample sample(double seconds) {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long descriptors = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getOpenFileDescriptorCount();
        return new Sample(seconds, ManagementFactory.getThreadMXBean().getThreadCount(), heap, descriptors);
    }

    private static Map<String, Double> counters(MicrometerOperatorMetrics metrics) {
        Map<String, Double> totals = new ConcurrentHashMap<>();
        for (String name : List.of("leakguard_scrapes", "leakguard_events", "leakguard_events_failed", "leakguard_actions")) {
            for (Counter counter : metrics.registry().find(name).counters()) {
                String key = name + counter.getId().getTags().stream()
                        .filter(t -> Set.of("result", "reason", "type").contains(t.getKey()))
                        .map(t -> t.getKey() + "=" + t.getValue()).collect(Collectors.joining(",", "{", "}"));
                totals.merge(key, counter.count(), Double::sum);
            }
        }
        return new TreeMap<>(totals);
    }
}
