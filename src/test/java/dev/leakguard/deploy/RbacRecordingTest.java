package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.EvidenceStore;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.demo.ApiCall;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.demo.DemoCluster;
import dev.leakguard.demo.EvictionAwareDispatcher;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.faults.FaultInjectingDispatcher;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.TestPods;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Least privilege, proven: the operator runs through its scenarios (scrape, annotate, Events,
 * evidence and its pruning, eviction allowed and refused by a PodDisruptionBudget, rollout restarts
 * of a Deployment, a StatefulSet and a DaemonSet, status) against an API server that records every
 * request by User-Agent. Each (verb, group, resource) the operator used must be granted by the
 * shipped ClusterRole, and the ClusterRole must grant nothing it never used.
 */
class RbacRecordingTest {
    private static final String NS = DemoCluster.NAMESPACE;
    private final ScaledClock clock = ScaledClock.compressed(Instant.parse("2026-01-01T00:00:00Z"), 600);

    @Test
    void clusterRoleGrantsExactlyWhatTheOperatorCalls() throws Exception {
        List<SimulatedContainer> extra = new ArrayList<>();
        try (DemoApiServer api = new DemoApiServer();
             KubernetesClient operatorClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                     .withMasterUrl(api.url()).withUserAgent(LeakguardOperator.USER_AGENT_PREFIX + "test").build()).build();
             DemoCluster cluster = new DemoCluster(api.client(), clock)) {
            KubernetesClient setup = api.client();
            cluster.start();
            extra.add(workloadPod(setup, "ledger", "StatefulSet", setup.apps().statefulSets().inNamespace(NS).resource(new StatefulSetBuilder()
                    .withNewMetadata().withName("ledger").withNamespace(NS).endMetadata()
                    .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("app", "ledger")).endSelector()
                    .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "ledger")).endMetadata().endTemplate()
                    .endSpec().build()).create()));
            extra.add(workloadPod(setup, "node-agent", "DaemonSet", setup.apps().daemonSets().inNamespace(NS).resource(new DaemonSetBuilder()
                    .withNewMetadata().withName("node-agent").withNamespace(NS).endMetadata()
                    .withNewSpec().withNewSelector().withMatchLabels(Map.of("app", "node-agent")).endSelector()
                    .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "node-agent")).endMetadata().endTemplate()
                    .endSpec().build()).create()));
            // One policy each: nothing replaces these pods here, so a rollout stays in flight and would hold back a second one.
            setup.resources(LeakPolicy.class).inNamespace(NS).resource(policy("ledger", "{matchLabels: {app: ledger}}", "RolloutRestart")).create();
            setup.resources(LeakPolicy.class).inNamespace(NS).resource(policy("node-agent", "{matchLabels: {app: node-agent}}", "RolloutRestart"))
                    .create();
            // A single-replica Deployment under the Evict policy: it is rolled out instead, so nothing stops serving.
            Deployment search = setup.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder()
                    .withNewMetadata().withName("search").withNamespace(NS).endMetadata()
                    .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("app", "search")).endSelector()
                    .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate().withMaxSurge(new IntOrString(1))
                    .withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy()
                    .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "search")).endMetadata().endTemplate()
                    .endSpec().build()).create();
            ReplicaSet searchReplicas = setup.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                    .withNewMetadata().withName("search-5c4b").withNamespace(NS)
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
                            .withName("search").withUid(search.getMetadata().getUid()).withController(true).build())
                    .endMetadata()
                    .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("app", "search")).endSelector().endSpec()
                    .build()).create();
            extra.add(workloadPod(setup, "search", "ReplicaSet", searchReplicas));
            setup.resources(LeakPolicy.class).inNamespace(NS).resource(policy("search", "{matchLabels: {app: search}}", "Evict")).create();
            // Evidence already there for the ledger pod: storing it again replaces it.
            setup.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName(EvidenceStore.nameFor("ledger-0"))
                    .withNamespace(NS).endMetadata().build()).create();
            // An invalid policy: its InvalidSpec Event repeats at every reconcile and is updated, not duplicated.
            LeakPolicy broken = policy("broken", "{matchLabels: {app: none}}", "Annotate");
            broken.getSpec().getDetection().setHorizon("2h");
            setup.resources(LeakPolicy.class).inNamespace(NS).resource(broken).create();
            // A budget that refuses every eviction of the checkout pods: the operator then reads PDBs to explain the refusal.
            setup.policy().v1().podDisruptionBudget().inNamespace(NS).resource(new PodDisruptionBudgetBuilder()
                    .withNewMetadata().withName("checkout-strict").withNamespace(NS).endMetadata()
                    .withNewSpec().withMinAvailable(new IntOrString("100%")).withNewSelector().withMatchLabels(Map.of("app", "checkout-api"))
                    .endSelector().endSpec().build()).create();
            // A full evidence shelf: the next evidence makes the operator prune the oldest.
            for (int i = 0; i < EvidenceStore.MAX_PER_POLICY; i++) {
                setup.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("leakguard-evidence-old-" + i)
                        .withNamespace(NS).withLabels(Map.of(EvidenceStore.LABEL, "true", EvidenceStore.POLICY_LABEL, "ledger"))
                        .withAnnotations(Map.of(EvidenceStore.CAPTURED_AT, "2025-01-01T00:00:0" + (i % 10) + "Z")).endMetadata().build()).create();
            }

            try (LeakguardOperator operator = new LeakguardOperator(operatorClient, clock, new MicrometerOperatorMetrics("test"),
                    LeakguardOperator.Settings.builder().statusRefresh(Duration.ofMinutes(5)).build())) {
                operator.start();
                EvictionAwareDispatcher dispatcher = (EvictionAwareDispatcher) api.dispatcher();
                Poll.until(Duration.ofSeconds(60),
                        () -> difference(expectedScenarioCoverage(), resourceCalls(dispatcher.callsBy(LeakguardOperator.USER_AGENT_PREFIX))),
                        Set::isEmpty, "the operator to go through every scenario (shown: what it has not done yet)");
                Set<OperatorPermissions.Permission> used = resourceCalls(dispatcher.callsBy(LeakguardOperator.USER_AGENT_PREFIX));
                ClusterRole role = Serialization.unmarshal(ProjectFiles.read(ProjectFiles.BASE.resolve("clusterrole.yaml")), ClusterRole.class);
                Set<OperatorPermissions.Permission> granted = OperatorPermissions.grantedBy(role.getRules());

                assertThat(difference(used, granted)).as("called but not granted by deploy/base/clusterrole.yaml").isEmpty();
                assertThat(difference(granted, used)).as("granted by deploy/base/clusterrole.yaml but never called").isEmpty();
            }
        } finally {
            extra.forEach(SimulatedContainer::close);
        }
    }

    /**
     * The leader-election Role, proven the same way: an operator with leader election takes the
     * Lease and renews it, and the Role must grant exactly the Lease calls it made. (The
     * SelfSubjectRulesReview that JOSDK sends first needs no grant: every authenticated user may.)
     */
    @Test
    void leaderElectionRoleGrantsExactlyTheLeaseCalls() throws Exception {
        FaultInjectingDispatcher dispatcher = new FaultInjectingDispatcher();
        try (DemoApiServer api = new DemoApiServer(dispatcher);
             KubernetesClient operatorClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                     .withMasterUrl(api.url()).withUserAgent(LeakguardOperator.USER_AGENT_PREFIX + "test").build()).build();
             LeakguardOperator operator = new LeakguardOperator(operatorClient, clock, new MicrometerOperatorMetrics("test"),
                     LeakguardOperator.Settings.builder().leaderElection(NS, "leakguard-rbac", false)
                             .leaseDuration(Duration.ofSeconds(3)).build())) {
            operator.start();
            Set<OperatorPermissions.Permission> taken = Set.of(new OperatorPermissions.Permission("coordination.k8s.io", "leases", "create"),
                    // fabric8's LeaseLock renews with a merge patch, not an update.
                    new OperatorPermissions.Permission("coordination.k8s.io", "leases", "patch"));
            Poll.until(Duration.ofSeconds(30), () -> leaseCalls(dispatcher), calls -> calls.containsAll(taken),
                    "the operator to take the Lease and renew it (shown: the Lease calls so far)");
            Role role = Serialization.unmarshal(ProjectFiles.read(ProjectFiles.BASE.resolve("role-leader-election.yaml")), Role.class);
            Set<OperatorPermissions.Permission> granted = OperatorPermissions.grantedBy(role.getRules());
            Set<OperatorPermissions.Permission> used = leaseCalls(dispatcher);

            assertThat(difference(used, granted)).as("called but not granted by deploy/base/role-leader-election.yaml").isEmpty();
            assertThat(difference(granted, used)).as("granted by deploy/base/role-leader-election.yaml but never called").isEmpty();
        }
    }

    private static Set<OperatorPermissions.Permission> leaseCalls(EvictionAwareDispatcher dispatcher) {
        Set<OperatorPermissions.Permission> leases = new TreeSet<>();
        for (OperatorPermissions.Permission call : resourceCalls(dispatcher.callsBy(LeakguardOperator.USER_AGENT_PREFIX))) {
            if (call.apiGroup().equals("coordination.k8s.io")) {
                leases.add(call);
            }
        }
        return leases;
    }

    /** The scenarios' landmarks; waiting for them keeps the test as short as the operator allows. */
    private static Set<OperatorPermissions.Permission> expectedScenarioCoverage() {
        return Set.of(
                new OperatorPermissions.Permission("", "pods/eviction", "create"),
                new OperatorPermissions.Permission("apps", "statefulsets", "patch"),
                new OperatorPermissions.Permission("apps", "daemonsets", "patch"),
                new OperatorPermissions.Permission("policy", "poddisruptionbudgets", "list"),
                new OperatorPermissions.Permission("", "configmaps", "delete"),
                new OperatorPermissions.Permission("", "configmaps", "update"),
                new OperatorPermissions.Permission("apps", "deployments", "patch"),
                new OperatorPermissions.Permission("", "events", "patch"));
    }

    private SimulatedContainer workloadPod(KubernetesClient client, String app, String kind, HasMetadata owner) throws Exception {
        SimulatedContainer container = new SimulatedContainer(SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK, clock, app.hashCode());
        client.pods().inNamespace(NS).resource(TestPods.ownedBy(TestPods.running(NS, app + "-0", Map.of("app", app), container.port(), "512Mi",
                Instant.ofEpochMilli(container.startedMillis())), kind, owner).build()).create();
        return container;
    }

    private static LeakPolicy policy(String name, String selector, String action) {
        return Serialization.unmarshal("apiVersion: leakguard.dev/v1alpha1\nkind: LeakPolicy\nmetadata: {name: " + name + ", namespace: " + NS
                + "}\nspec:\n  selector: " + selector + "\n  metrics: {port: metrics, interval: 15s, threads: go_goroutines}\n"
                + "  profile: {type: go}\n  action: {type: " + action + "}\n", LeakPolicy.class);
    }

    /** Resource requests as RBAC permissions; discovery and other non-resource URLs are not RBAC resources. */
    private static Set<OperatorPermissions.Permission> resourceCalls(Set<ApiCall> calls) {
        Set<OperatorPermissions.Permission> permissions = new TreeSet<>();
        for (ApiCall call : calls) {
            if (call.resource().startsWith("/")) {
                continue;
            }
            String resource = call.subresource().isEmpty() ? call.resource() : call.resource() + "/" + call.subresource();
            permissions.add(new OperatorPermissions.Permission(call.apiGroup(), resource, call.verb()));
        }
        return permissions;
    }

    private static Set<OperatorPermissions.Permission> difference(Set<OperatorPermissions.Permission> a, Set<OperatorPermissions.Permission> b) {
        Set<OperatorPermissions.Permission> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }
}
