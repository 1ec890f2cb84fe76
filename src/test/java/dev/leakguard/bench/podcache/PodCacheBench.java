package dev.leakguard.bench.podcache;

import dev.leakguard.operator.SlimPodStore;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.impl.cache.CacheImpl;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Heap per cached pod in the pod informer's cache, today's store (fabric8's, every pod whole) next
 * to {@code SlimPodStore}: 20,000 pods of 200 Deployments, of which the 100 of one Deployment are
 * selected by a policy. Each pod is the one {@link CaptureRealisticPod} read from the real
 * kube-apiserver (three containers, env, probes, eight volumes, managedFields), with its own name,
 * uid, resourceVersion and its Deployment's labels, deserialized afresh as the informer does.
 * The cache is fabric8's {@code CacheImpl} with its namespace index, as in the informer.
 *
 * <p>Run with {@code mvn -B test-compile exec:exec@bench -Dbench.main=dev.leakguard.bench.podcache.PodCacheBench
 * -Dbench.jvmArgs="-Xmx2g -XX:+UseSerialGC" -Dbench.args=src/test/resources/fixtures/pods/realistic-pod.json}.
 */
public final class PodCacheBench {
    private static final int DEPLOYMENTS = 200;
    private static final int PODS_PER_DEPLOYMENT = 100;
    private static final String SELECTED_APP = "svc-0";
    private static final String APP_LABEL = "app.kubernetes.io/name";

    public static void main(String[] args) throws Exception {
        String captured = Files.readString(Path.of(args.length > 0 ? args[0] : "src/test/resources/fixtures/pods/realistic-pod.json"));
        Pod template = Serialization.unmarshal(captured, Pod.class);
        System.out.printf("pod fixture: %d bytes of JSON, %d containers, %d volumes, %d env vars, %d managedFields entries%n",
                captured.length(), template.getSpec().getContainers().size(), template.getSpec().getVolumes().size(),
                template.getSpec().getContainers().stream().mapToInt(c -> c.getEnv().size()).sum(),
                template.getMetadata().getManagedFields().size());
        measure("fabric8's store (today)", captured, template, CacheImpl::new);
        measure("SlimPodStore", captured, template, () -> slim(pod -> SELECTED_APP.equals(pod.getMetadata().getLabels().get(APP_LABEL))));
        // What a watched pod costs, over many (100 are too few to rise above the noise of a heap reading).
        measure("SlimPodStore, all watched", captured, template, () -> slim(pod -> true));
    }

    private static CacheImpl<Pod> slim(Predicate<Pod> watched) {
        CacheImpl<Pod> cache = new CacheImpl<>();
        cache.setItemStore(new SlimPodStore(watched));
        return cache;
    }

    private static void measure(String name, String captured, Pod template, Supplier<CacheImpl<Pod>> newCache) throws InterruptedException {
        CacheImpl<Pod> cache = newCache.get();
        long empty = heapAfterGc();
        int sequence = 0;
        for (int pod = 0; pod < PODS_PER_DEPLOYMENT; pod++) {
            cache.put(pod(captured, template, 0, pod, ++sequence));
        }
        long withWatched = heapAfterGc();
        for (int deployment = 1; deployment < DEPLOYMENTS; deployment++) {
            for (int pod = 0; pod < PODS_PER_DEPLOYMENT; pod++) {
                cache.put(pod(captured, template, deployment, pod, ++sequence));
            }
        }
        long full = heapAfterGc();
        int unwatched = (DEPLOYMENTS - 1) * PODS_PER_DEPLOYMENT;
        System.out.printf("%-26s %d pods: %.1f MiB, %.0f B per pod; the last %d pods (of the 199 Deployments not selected) %.0f B each%n",
                name, cache.list().size(), (full - empty) / 1048576.0, (full - empty) / (double) cache.list().size(), unwatched,
                (full - withWatched) / (double) unwatched);
        Reference.reachabilityFence(cache);
    }

    /** The captured pod as pod {@code index} of Deployment {@code deployment}: its own identity, its Deployment's labels. */
    private static Pod pod(String captured, Pod template, int deployment, int index, int sequence) {
        String templateHash = template.getMetadata().getLabels().get("pod-template-hash");
        String newHash = String.format("%010x", (long) deployment * 2654435761L & 0xffffffffffL);
        String json = captured
                .replace(template.getMetadata().getName(), "svc-" + deployment + "-" + newHash + "-" + Integer.toString(36 * 36 * 36 + index, 36))
                .replace(template.getMetadata().getUid(), UUID.randomUUID().toString())
                .replace(templateHash, newHash)
                .replace("\"resourceVersion\":\"" + template.getMetadata().getResourceVersion() + "\"", "\"resourceVersion\":\"" + (100000 + sequence) + "\"")
                .replace("\"" + APP_LABEL + "\":\"checkout-api\"", "\"" + APP_LABEL + "\":\"svc-" + deployment + "\"");
        return Serialization.unmarshal(json, Pod.class);
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
