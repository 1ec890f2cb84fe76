package dev.leakguard.deploy;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The Kubernetes API calls the operator makes, as the RBAC grants they need. */
final class OperatorPermissions {

    /** One verb on one resource ("pods", "pods/eviction") of one API group ("" is core). */
    record Permission(String apiGroup, String resource, String verb) implements Comparable<Permission> {

        @Override
        public int compareTo(Permission other) {
            return toString().compareTo(other.toString());
        }

        @Override
        public String toString() {
            return verb + " " + (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resource;
        }
    }

    /** Needed in every watched namespace: the ClusterRole, or the Role of a single-namespace install. */
    static final Set<Permission> WATCHED_NAMESPACES = union(
            grant("", "pods", "get", "list", "watch", "patch"),
            grant("", "pods/eviction", "create"),
            grant("", "events", "get", "create", "patch"),
            grant("", "configmaps", "get", "list", "create", "update", "delete"),
            grant("leakguard.dev", "leakpolicies", "get", "list", "watch", "patch"),
            grant("leakguard.dev", "leakpolicies/status", "patch"),
            grant("apps", "replicasets", "get"),
            grant("apps", "deployments", "get", "patch"),
            grant("apps", "statefulsets", "get", "patch"),
            grant("apps", "daemonsets", "get", "patch"),
            grant("policy", "poddisruptionbudgets", "list"));

    /** Needed in the operator's own namespace only: the leader-election Lease. */
    static final Set<Permission> OWN_NAMESPACE = grant("coordination.k8s.io", "leases", "get", "create", "update", "patch");

    private OperatorPermissions() {
    }

    /** Everything a list of RBAC rules grants, one permission per group × resource × verb. */
    static Set<Permission> grantedBy(List<PolicyRule> rules) {
        Set<Permission> granted = new TreeSet<>();
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        granted.add(new Permission(group, resource, verb));
                    }
                }
            }
        }
        return granted;
    }

    private static Set<Permission> grant(String apiGroup, String resource, String... verbs) {
        Set<Permission> permissions = new TreeSet<>();
        for (String verb : verbs) {
            permissions.add(new Permission(apiGroup, resource, verb));
        }
        return permissions;
    }

    @SafeVarargs
    private static Set<Permission> union(Set<Permission>... parts) {
        Set<Permission> all = new TreeSet<>();
        for (Set<Permission> part : parts) {
            all.addAll(part);
        }
        return all;
    }
}
