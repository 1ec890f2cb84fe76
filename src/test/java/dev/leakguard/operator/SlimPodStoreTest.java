package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.policy.PrometheusUrlAllowList;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.testing.TestPolicies;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The pod informer's store, on a pod as the real kube-apiserver returned it (fixtures/pods, captured by CaptureRealisticPod). */
class SlimPodStoreTest {
    private final Pod captured = read();
    private final AtomicBoolean selected = new AtomicBoolean();
    private final SlimPodStore store = new SlimPodStore(pod -> selected.get());

    @Test
    void aWatchedPodKeepsWhatLeakguardReadsAndResolvesToTheSameTargetAsTheWholePod() {
        selected.set(true);
        store.put(store.getKey(captured), captured);
        Pod kept = store.get(store.getKey(captured));

        assertThat(kept.getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(kept.getSpec().getVolumes()).isNullOrEmpty();
        assertThat(kept.getSpec().getContainers()).allSatisfy(c -> {
            assertThat(c.getEnv()).isNullOrEmpty();
            assertThat(c.getReadinessProbe()).isNull();
        });
        assertThat(kept.getMetadata().getAnnotations()).isEqualTo(captured.getMetadata().getAnnotations());
        for (String metrics : new String[] {"{port: metrics}", "{port: 15090}", "{port: 9102}", "{port: 9102, container: log-shipper}"}) {
            ResolvedPolicy policy = policy(metrics);
            assertThat(TargetResolver.resolve(policy, kept, ScrapeAccess.PLAIN_HTTP)).as(metrics)
                    .isEqualTo(TargetResolver.resolve(policy, captured, ScrapeAccess.PLAIN_HTTP));
        }
    }

    @Test
    void anUnwatchedPodIsASkeletonOfIdentityAndLabelsSharingLabelStringsWithOtherPods() {
        Pod twin = new PodBuilder(read()).editMetadata().withName("checkout-api-845b75d5fc-other").withUid("other-uid").endMetadata().build();
        store.put(store.getKey(captured), captured);
        store.put(store.getKey(twin), twin);
        Pod first = store.get(store.getKey(captured));
        Pod second = store.get(store.getKey(twin));

        assertThat(SlimPodStore.skeleton(first)).isTrue();
        assertThat(first.getSpec()).isNull();
        assertThat(first.getStatus()).isNull();
        assertThat(first.getMetadata().getManagedFields()).isEmpty();
        assertThat(first.getMetadata().getAnnotations()).isEmpty();
        assertThat(first.getMetadata().getUid()).isEqualTo(captured.getMetadata().getUid());
        assertThat(first.getMetadata().getResourceVersion()).isEqualTo(captured.getMetadata().getResourceVersion());
        assertThat(first.getMetadata().getLabels()).isEqualTo(captured.getMetadata().getLabels());
        String hash = captured.getMetadata().getLabels().get("pod-template-hash");
        assertThat(second.getMetadata().getLabels().get("pod-template-hash")).isSameAs(first.getMetadata().getLabels().get("pod-template-hash"))
                .isEqualTo(hash);
        assertThat(store.size()).isEqualTo(2);
        assertThat(store.remove(store.getKey(twin))).isSameAs(second);
        assertThat(store.keySet()).containsExactly(store.getKey(captured));
    }

    @Test
    void aSkeletonThatAPolicyStartsSelectingIsReadOnceFromTheServerAndKeptWhole() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        try (KubernetesClient client = server.createClient()) {
            Pod stored = client.pods().inNamespace("shop").resource(new PodBuilder(captured).editMetadata().withResourceVersion(null)
                    .endMetadata().build()).create();
            store.put(store.getKey(stored), stored);
            Pod skeleton = store.get(store.getKey(stored));
            assertThat(SlimPodStore.skeleton(skeleton)).isTrue();
            selected.set(true);
            int before = server.getRequestCount();

            Pod completed = store.complete(skeleton, client);

            assertThat(server.getRequestCount() - before).as("one GET").isEqualTo(1);
            assertThat(completed.getSpec().getContainers()).extracting(c -> c.getName()).containsExactly("app", "istio-proxy", "log-shipper");
            assertThat(store.get(store.getKey(stored))).as("kept whole from now on").isSameAs(completed);
            assertThat(store.complete(completed, client)).isSameAs(completed);
            assertThat(server.getRequestCount() - before).as("no second GET").isEqualTo(1);

            client.pods().inNamespace("shop").withName(stored.getMetadata().getName()).delete();
            store.put(store.getKey(stored), stored);
            selected.set(false);
            store.put(store.getKey(stored), stored);
            assertThat(store.complete(store.get(store.getKey(stored)), client)).as("gone from the server").isNull();
        } finally {
            server.destroy();
        }
    }

    private static ResolvedPolicy policy(String metrics) {
        PolicyResolver.Result result = new PolicyResolver(PrometheusUrlAllowList.none()).resolve(TestPolicies.fromSpec("shop", "checkout", """
                selector: {matchLabels: {app.kubernetes.io/name: checkout-api}}
                metrics: %s
                """.formatted(metrics)));
        return ((PolicyResolver.Valid) result).policy();
    }

    private static Pod read() {
        try {
            return Serialization.unmarshal(Files.readString(Path.of("src/test/resources/fixtures/pods/realistic-pod.json")), Pod.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
