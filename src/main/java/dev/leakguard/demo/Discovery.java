package dev.leakguard.demo;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The API discovery documents kubectl reads before anything else. The fabric8 CRUD mock serves
 * objects but not discovery; with these, {@code kubectl --server http://127.0.0.1:PORT get pods,lp,events}
 * works against the demo's API server.
 */
public final class Discovery {
    private static final List<String> ALL = List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
    private static final Map<String, String> DOCUMENTS = build();

    private Discovery() {
    }

    /** The discovery answer for a request path (query string ignored), if it is a discovery path. */
    public static Optional<String> answer(String path) {
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        if (bare.endsWith("/") && bare.length() > 1) {
            bare = bare.substring(0, bare.length() - 1);
        }
        return Optional.ofNullable(DOCUMENTS.get(bare));
    }

    /** OpenAPI documents are not served; kubectl then skips client-side validation. */
    public static boolean isOpenApi(String path) {
        return path.startsWith("/openapi/");
    }

    private static Map<String, String> build() {
        Map<String, String> docs = new LinkedHashMap<>();
        docs.put("/api", json(new APIVersionsBuilder().withVersions("v1").build()));
        List<APIGroup> groups = List.of(group("apps", "v1"), group("policy", "v1"), group("coordination.k8s.io", "v1"),
                group("events.k8s.io", "v1"), group("apiextensions.k8s.io", "v1"), group("leakguard.dev", "v1alpha1"));
        docs.put("/apis", json(new APIGroupListBuilder().withGroups(groups).build()));
        docs.put("/api/v1", resources("v1",
                resource("pods", "Pod", true, "po"), subresource("pods/eviction", "Eviction", List.of("create")),
                subresource("pods/status", "Pod", List.of("get", "patch", "update")),
                resource("events", "Event", true, "ev"), resource("configmaps", "ConfigMap", true, "cm"),
                resource("namespaces", "Namespace", false, "ns"), resource("services", "Service", true, "svc"),
                resource("serviceaccounts", "ServiceAccount", true, "sa")));
        docs.put("/apis/apps/v1", resources("apps/v1",
                resource("deployments", "Deployment", true, "deploy"), resource("replicasets", "ReplicaSet", true, "rs"),
                resource("statefulsets", "StatefulSet", true, "sts"), resource("daemonsets", "DaemonSet", true, "ds")));
        docs.put("/apis/policy/v1", resources("policy/v1", resource("poddisruptionbudgets", "PodDisruptionBudget", true, "pdb")));
        docs.put("/apis/coordination.k8s.io/v1", resources("coordination.k8s.io/v1", resource("leases", "Lease", true, null)));
        docs.put("/apis/events.k8s.io/v1", resources("events.k8s.io/v1", resource("events", "Event", true, "ev")));
        docs.put("/apis/apiextensions.k8s.io/v1", resources("apiextensions.k8s.io/v1",
                resource("customresourcedefinitions", "CustomResourceDefinition", false, "crd")));
        docs.put("/apis/leakguard.dev/v1alpha1", resources("leakguard.dev/v1alpha1",
                resource("leakpolicies", "LeakPolicy", true, "lp"),
                subresource("leakpolicies/status", "LeakPolicy", List.of("get", "patch", "update"))));
        return Map.copyOf(docs);
    }

    private static APIGroup group(String name, String version) {
        var gv = new GroupVersionForDiscoveryBuilder().withGroupVersion(name + "/" + version).withVersion(version).build();
        return new APIGroupBuilder().withName(name).withVersions(gv).withPreferredVersion(gv).build();
    }

    private static APIResource resource(String plural, String kind, boolean namespaced, String shortName) {
        APIResourceBuilder builder = new APIResourceBuilder().withName(plural).withKind(kind).withNamespaced(namespaced)
                .withSingularName(kind.toLowerCase()).withVerbs(ALL);
        if (shortName != null) {
            builder.withShortNames(shortName);
        }
        return builder.build();
    }

    private static APIResource subresource(String name, String kind, List<String> verbs) {
        return new APIResourceBuilder().withName(name).withKind(kind).withNamespaced(true).withSingularName("").withVerbs(verbs).build();
    }

    private static String resources(String groupVersion, APIResource... resources) {
        return json(new APIResourceListBuilder().withGroupVersion(groupVersion).withResources(resources).build());
    }

    private static String json(Object document) {
        return Serialization.asJson(document);
    }
}
