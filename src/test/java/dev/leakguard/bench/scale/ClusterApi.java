package dev.leakguard.bench.scale;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.ApiRequest;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.demo.EvictionAwareDispatcher;
import dev.leakguard.testing.TestPolicies;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Child process holding the simulated cluster's API server: the fabric8 CRUD mock with the
 * eviction-aware dispatcher, a namespace, one pod per line of the bindings file (its podIP and
 * container port are where the pod's endpoint listens) and two LeakPolicies — Go services and JVM
 * services — at a 15 s interval with the Annotate action. Prints {@code READY <url>}, answers
 * {@code REQUESTS} with the count of every kind of request seen so far, and exits when its standard
 * input closes.
 */
public final class ClusterApi {
    static final String NAMESPACE = "fleet";
    private static final int CREATORS = 4;

    private ClusterApi() {
    }

    /** args: bindings file, detection window (e.g. 3m), whether the policies ask for gzip-compressed bodies. */
    public static void main(String[] args) throws Exception {
        List<EndpointServer.Binding> bindings = EndpointServer.Binding.readAll(Path.of(args[0]));
        String window = args[1];
        boolean compression = Boolean.parseBoolean(args[2]);
        EvictionAwareDispatcher dispatcher = new EvictionAwareDispatcher();
        try (DemoApiServer api = new DemoApiServer(dispatcher)) {
            KubernetesClient client = api.client();
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
            String startedAt = Instant.now().minusSeconds(3600).toString();
            ExecutorService creators = Executors.newFixedThreadPool(CREATORS);
            List<Future<Pod>> created = IntStream.range(0, bindings.size())
                    .mapToObj(i -> creators.submit(() -> client.pods().inNamespace(NAMESPACE).resource(pod(bindings.get(i), startedAt)).create()))
                    .toList();
            for (Future<Pod> pod : created) {
                pod.get();
            }
            creators.shutdown();
            creators.awaitTermination(1, TimeUnit.MINUTES);
            for (LeakPolicy policy : policies(window, compression)) {
                client.resources(LeakPolicy.class).inNamespace(NAMESPACE).resource(policy).create();
            }
            System.out.println("READY " + api.url());
            System.out.flush();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = commands.readLine(); line != null; line = commands.readLine()) {
                if (line.trim().equals("REQUESTS")) {
                    Map<String, Integer> counts = new TreeMap<>();
                    for (ApiRequest request : dispatcher.requests()) {
                        counts.merge(request.call().toString(), 1, Integer::sum);
                    }
                    counts.forEach((call, count) -> System.out.println("REQ\t" + count + "\t" + call));
                    System.out.println("END");
                    System.out.flush();
                }
            }
        }
    }

    private static Pod pod(EndpointServer.Binding binding, String startedAt) {
        int index = binding.pod();
        boolean go = SimulatedPods.runtime(index) == SimulatedPods.Runtime.GO;
        String app = (go ? "go-svc-" : "jvm-svc-") + index / 50;
        return new PodBuilder()
                .withNewMetadata().withName(app + "-" + Integer.toString(index, 36) + "x" + index % 7).withNamespace(NAMESPACE)
                .withLabels(Map.of("app", app, "runtime", go ? "go" : "jvm")).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("example/" + app + ":1.0")
                .addNewPort().withName("metrics").withContainerPort(binding.port()).endPort()
                .withNewResources().withLimits(Map.of("memory", new Quantity(SimulatedPods.MEMORY_LIMIT))).endResources()
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP(binding.host())
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .addNewContainerStatus().withName("app").withReady(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(startedAt).endRunning().endState()
                .endContainerStatus()
                .endStatus().build();
    }

    /**
     * The detection window is short (default 3m, horizon three quarters of it) so that the leaking
     * pods are suspected, announced and annotated within a run of a few minutes. {@code compression} false sets
     * {@code spec.metrics.enableCompression: false}: the pods are asked for uncompressed bodies.
     */
    static List<LeakPolicy> policies(String window, boolean compression) {
        long windowSeconds = dev.leakguard.policy.Durations.parse(window).toSeconds();
        String detection = "detection: {window: " + windowSeconds + "s, warmup: 0s, horizon: " + windowSeconds * 3 / 4 + "s}";
        return List.of(
                TestPolicies.fromSpec(NAMESPACE, "go-services", """
                        selector: {matchLabels: {runtime: go}}
                        metrics: {port: metrics, interval: 15s, memory: process_resident_memory_bytes, threads: go_goroutines, enableCompression: %s}
                        profile: {type: go, topGroups: 3}
                        action: {type: Annotate}
                        """.formatted(compression) + detection),
                TestPolicies.fromSpec(NAMESPACE, "jvm-services", """
                        selector: {matchLabels: {runtime: jvm}}
                        metrics:
                          port: metrics
                          interval: 15s
                          memory: 'jvm_memory_used_bytes{area="heap",id="G1 Old Gen"}'
                          threads: jvm_threads_live_threads
                          enableCompression: %s
                        profile: {type: jvm, path: /actuator/threaddump, topGroups: 3}
                        action: {type: Annotate}
                        """.formatted(compression) + detection));
    }
}
