package dev.leakguard.demo;

import static dev.leakguard.act.RestartCluster.NS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.RestartCluster;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class EvictionAwareDispatcherTest {
    private final RestartCluster cluster = new RestartCluster();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        cluster.close();
    }

    /**
     * Four Ready pods of a Deployment with five replicas (one replacement still starting): the
     * expected count is 5 for budgets scaled against the controller and 4 for an integer minAvailable.
     */
    @ParameterizedTest(name = "minAvailable={0} maxUnavailable={1} -> {2}")
    @CsvSource(nullValues = "-", value = {
            "3,   -,   201",   // 4 healthy > 3 desired
            "4,   -,   429",   // 4 healthy, 4 desired
            "60%, -,   201",   // ceil(0.6*5)=3 desired
            "80%, -,   429",   // 4 desired
            "61%, -,   429",   // ceil(3.05)=4 desired: percentages round up
            "-,   1,   429",   // 5-1=4 desired
            "-,   2,   201",   // 3 desired
            "-,   20%, 429",   // 5-ceil(1)=4 desired
            "-,   21%, 201",   // 5-ceil(1.05)=3 desired
            "-,   -,   429"})  // neither field: no disruption allowed
    void evictionHonoursTheDisruptionBudget(String minAvailable, String maxUnavailable, int expected) throws Exception {
        ReplicaSet replicaSet = cluster.deployment("web", 4, "RollingUpdate", "1");
        cluster.client.apps().replicaSets().inNamespace(NS).withName(replicaSet.getMetadata().getName())
                .edit(rs -> { rs.getSpec().setReplicas(5); return rs; });
        cluster.client.apps().deployments().inNamespace(NS).withName("web")
                .edit(d -> { d.getSpec().setReplicas(5); return d; });
        cluster.budget("web-pdb", "web", minAvailable, maxUnavailable);

        HttpResponse<String> response = evict("web-0");

        assertThat(response.statusCode()).isEqualTo(expected);
        assertThat(cluster.pod("web-0") == null).isEqualTo(expected == 201);
        Status status = Serialization.unmarshal(response.body(), Status.class);
        if (expected == 429) {
            assertThat(status.getMessage()).isEqualTo("Cannot evict pod as it would violate the pod's disruption budget.");
            assertThat(status.getReason()).isEqualTo("TooManyRequests");
            assertThat(status.getDetails().getCauses()).singleElement().satisfies(c -> {
                assertThat(c.getReason()).isEqualTo("DisruptionBudget");
                assertThat(c.getMessage()).startsWith("The disruption budget web-pdb needs ");
            });
            assertThat(response.headers().firstValue("Retry-After")).hasValue("10");
        } else {
            assertThat(status.getStatus()).isEqualTo("Success");
        }
    }

    @Test
    void budgetsOfOtherPodsDoNotApplyAndEveryMatchingBudgetMust() throws Exception {
        cluster.deployment("web", 2, "RollingUpdate", "1");
        cluster.deployment("api", 2, "RollingUpdate", "1");
        cluster.budget("api-pdb", "api", "2", null);
        assertThat(evict("web-0").statusCode()).isEqualTo(201);
        cluster.budget("web-loose", "web", null, "1");
        cluster.budget("web-strict", "web", "2", null);
        cluster.pod("web-2", cluster.client.apps().replicaSets().inNamespace(NS).withName("web-7d").get(), Map.of());
        HttpResponse<String> refused = evict("web-1");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.body()).contains("web-strict");
    }

    @Test
    void aPodThatIsNotReadyMayGoWhileTheBudgetIsMet() throws Exception {
        cluster.deployment("web", 3, "RollingUpdate", "1");
        cluster.budget("web-pdb", "web", "2", null);
        cluster.client.pods().inNamespace(NS).withName("web-2").edit(p -> {
            p.getStatus().getConditions().get(0).setStatus("False");
            return p;
        });
        assertThat(evict("web-2").statusCode()).as("2 healthy >= 2 desired").isEqualTo(201);
        assertThat(evict("web-1").statusCode()).as("2 healthy, not > 2").isEqualTo(429);
        assertThat(evict("missing").statusCode()).isEqualTo(404);
    }

    static Stream<Arguments> requests() {
        return Stream.of(
                Arguments.of("GET", "/api/v1/namespaces/shop/pods/web-0", new ApiCall("get", "", "pods", ""), "shop", "web-0"),
                Arguments.of("GET", "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb", new ApiCall("list", "", "pods", ""), "shop", null),
                Arguments.of("GET", "/api/v1/pods?watch=true&resourceVersion=5", new ApiCall("watch", "", "pods", ""), null, null),
                Arguments.of("POST", "/api/v1/namespaces/shop/pods/web-0/eviction", new ApiCall("create", "", "pods", "eviction"), "shop", "web-0"),
                Arguments.of("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", new ApiCall("patch", "apps", "deployments", ""), "shop", "web"),
                Arguments.of("PUT", "/apis/leakguard.dev/v1alpha1/namespaces/shop/leakpolicies/p/status",
                        new ApiCall("update", "leakguard.dev", "leakpolicies", "status"), "shop", "p"),
                Arguments.of("DELETE", "/api/v1/namespaces/shop/pods/web-0", new ApiCall("delete", "", "pods", ""), "shop", "web-0"),
                Arguments.of("DELETE", "/api/v1/namespaces/shop/events", new ApiCall("deletecollection", "", "events", ""), "shop", null),
                Arguments.of("GET", "/api/v1/namespaces/shop", new ApiCall("get", "", "namespaces", ""), null, "shop"),
                Arguments.of("PUT", "/api/v1/namespaces/shop/finalize", new ApiCall("update", "", "namespaces", "finalize"), null, "shop"),
                Arguments.of("GET", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/leakguard",
                        new ApiCall("get", "coordination.k8s.io", "leases", ""), "ops", "leakguard"),
                Arguments.of("GET", "/version", new ApiCall("get", "", "/version", ""), null, null),
                Arguments.of("GET", "/apis/apps/v1", new ApiCall("get", "", "/apis/apps/v1", ""), null, null));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("requests")
    void requestsAreSeenAsRbacSeesThem(String method, String path, ApiCall call, String namespace, String name) {
        assertThat(EvictionAwareDispatcher.describe(method, path)).isEqualTo(new ApiRequest(call, namespace, name));
    }

    @Test
    void everyRequestIsRecorded() throws Exception {
        cluster.deployment("web", 1, "RollingUpdate", "1");
        cluster.client.pods().inNamespace(NS).list();
        evict("web-0");
        assertThat(cluster.dispatcher.calls()).contains(
                new ApiCall("create", "apps", "deployments", ""),
                new ApiCall("create", "apps", "replicasets", ""),
                new ApiCall("create", "", "pods", ""),
                new ApiCall("list", "", "pods", ""),
                new ApiCall("create", "", "pods", "eviction"));
    }

    private HttpResponse<String> evict(String pod) throws IOException, InterruptedException {
        String body = "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"" + pod
                + "\",\"namespace\":\"" + NS + "\"}}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.server.url("/api/v1/namespaces/" + NS + "/pods/" + pod + "/eviction")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
