package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class RbacTest {

    private final ClusterRole clusterRole = ProjectFiles.manifest(ProjectFiles.BASE.resolve("clusterrole.yaml"), ClusterRole.class);
    private final Role leaderElection = ProjectFiles.manifest(ProjectFiles.BASE.resolve("role-leader-election.yaml"), Role.class);

    @Test
    void clusterRoleGrantsExactlyWhatTheOperatorUsesInWatchedNamespaces() {
        assertThat(OperatorPermissions.grantedBy(clusterRole.getRules()))
                .containsExactlyInAnyOrderElementsOf(OperatorPermissions.WATCHED_NAMESPACES);
    }

    @Test
    void leaseRoleGrantsExactlyTheLeaderElectionVerbsInTheOperatorsNamespace() {
        assertThat(leaderElection.getMetadata().getNamespace()).isEqualTo("leakguard");
        assertThat(OperatorPermissions.grantedBy(leaderElection.getRules()))
                .containsExactlyInAnyOrderElementsOf(OperatorPermissions.OWN_NAMESPACE);
    }

    @Test
    void rulesAreExplicitAndEasyToCompare() {
        List<PolicyRule> rules = Stream.concat(clusterRole.getRules().stream(), leaderElection.getRules().stream()).toList();
        Set<String> groupAndResources = new HashSet<>();
        for (PolicyRule rule : rules) {
            assertThat(rule.getApiGroups()).as("one API group per rule: %s", rule).hasSize(1);
            assertThat(rule.getResources()).as("resources of %s", rule).isNotEmpty().doesNotContain("*");
            assertThat(rule.getVerbs()).as("verbs of %s", rule).isNotEmpty().doesNotContain("*");
            assertThat(rule.getApiGroups()).doesNotContain("*");
            assertThat(rule.getResourceNames()).as("resourceNames of %s", rule).isEmpty();
            assertThat(rule.getNonResourceURLs()).as("nonResourceURLs of %s", rule).isEmpty();
            for (String resource : rule.getResources()) {
                assertThat(groupAndResources.add(rule.getApiGroups().get(0) + "/" + resource))
                        .as("%s/%s appears in one rule only", rule.getApiGroups().get(0), resource).isTrue();
            }
        }
    }
}
