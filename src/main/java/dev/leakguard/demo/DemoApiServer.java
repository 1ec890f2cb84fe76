package dev.leakguard.demo;

import dev.leakguard.api.LeakPolicy;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;

/**
 * An in-process Kubernetes API server for the demo and the tests: fabric8's CRUD mock (real HTTP,
 * list and watch) on 127.0.0.1, with the LeakPolicy CRD installed and discovery documents so that
 * kubectl can talk to it.
 */
public final class DemoApiServer implements AutoCloseable {
    private final KubernetesMockServer server;
    private final KubernetesCrudDispatcher dispatcher;
    private final KubernetesClient client;

    public DemoApiServer() {
        this(new EvictionAwareDispatcher());
    }

    public DemoApiServer(KubernetesCrudDispatcher dispatcher) {
        this.dispatcher = dispatcher;
        this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        server.expectCustomResource(CustomResourceDefinitionContext.fromCustomResourceType(LeakPolicy.class));
        this.client = server.createClient();
        client.apiextensions().v1().customResourceDefinitions().resource(leakPolicyCrd()).create();
    }

    /** The generated CRD, as shipped in crds/ and bundled in the jar by the build. */
    public static CustomResourceDefinition leakPolicyCrd() {
        try (InputStream in = DemoApiServer.class.getResourceAsStream("/META-INF/fabric8/leakpolicies.leakguard.dev-v1.yml")) {
            if (in == null) {
                throw new IllegalStateException("the LeakPolicy CRD is missing from the classpath; build with mvn package");
            }
            return Serialization.unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public KubernetesClient client() {
        return client;
    }

    public KubernetesCrudDispatcher dispatcher() {
        return dispatcher;
    }

    /** e.g. http://127.0.0.1:40123 — what {@code kubectl --server} and {@code leakguard run --master} take. */
    public String url() {
        return "http://" + server.getHostName() + ":" + server.getPort();
    }

    /**
     * Drops the requests the mock server keeps for {@code takeRequest()}: it holds every request it
     * ever answered, bodies included, which a long-running demo or soak would otherwise accumulate.
     */
    public void forgetRecordedRequests() {
        try {
            while (server.takeRequest(0, TimeUnit.MILLISECONDS) != null) {
                // drained one by one: the mock offers no other way to let go of them
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
