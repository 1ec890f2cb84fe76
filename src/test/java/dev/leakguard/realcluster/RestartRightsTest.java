package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.AnnotationLedgerStore;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.testing.ExternalTool;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.RealKubernetes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchResourcesBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Who may make the operator act, decided by the real API server: the aggregated ClusterRoles of deploy/base
 * (folded into view/edit/admin by kube-controller-manager) and the ValidatingAdmissionPolicy of
 * deploy/overlays/restrict-restarts, with users impersonated through kubectl as a namespace's people would be.
 */
class RestartRightsTest {
    private static final AtomicInteger ATTEMPTS = new AtomicInteger();

    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final String OVERLAY = "deploy/overlays/restrict-restarts";
    /** The test scopes the shipped binding to its own namespaces so that the other classes sharing this server are not affected. */
    private static final Map<String, String> TEST_SCOPE = Map.of("leakguard-test/restart-rights", "on");

    private static KubernetesClient admin;
    private static String allowed;
    private static String other;
    private static List<HasMetadata> admission;

    @BeforeAll
    static void setUp() {
        k8s.installLeakguard();
        admin = k8s.admin();
        allowed = k8s.namespace("restarts-allowed");
        other = k8s.namespace("restarts-not-allowed");
        label(allowed, "leakguard.dev/restarts", "allowed");
        for (String ns : List.of(allowed, other)) {
            TEST_SCOPE.forEach((key, value) -> label(ns, key, value));
            bind("alice", "edit", ns);
            bind("bob", "view", ns);
            bind("carol", "leakguard-edit", ns);
        }
    }

    @AfterAll
    static void removeTheAdmissionPolicy() {
        if (admission != null) {
            admission.forEach(object -> admin.resource(object).delete());
        }
    }

    @Test
    void namespaceUsersGetLeakPolicyRightsThroughTheRolesTheyAlreadyHave() {
        Poll.until(Duration.ofSeconds(30), () -> canI("alice", "create", "leakpolicies.leakguard.dev", allowed), "yes"::equals,
                "kube-controller-manager to aggregate leakguard-edit into edit");
        assertThat(canI("alice", "delete", "leakpolicies.leakguard.dev", allowed)).isEqualTo("yes");
        Poll.until(Duration.ofSeconds(30), () -> canI("bob", "list", "leakpolicies.leakguard.dev", allowed), "yes"::equals,
                "kube-controller-manager to aggregate leakguard-view into view");
        assertThat(canI("bob", "create", "leakpolicies.leakguard.dev", allowed)).as("view may not write policies").isEqualTo("no");
        assertThat(canI("bob", "get", "leakpolicies.leakguard.dev/status", allowed)).isEqualTo("yes");
        assertThat(canI("carol", "create", "leakpolicies.leakguard.dev", allowed)).isEqualTo("yes");
        assertThat(canI("carol", "create", "pods/eviction", allowed)).as("leakguard-edit alone grants no pod rights").isEqualTo("no");
        assertThat(canI("dave", "get", "leakpolicies.leakguard.dev", allowed)).as("no role, no access").isEqualTo("no");
    }

    @Test
    void restartsAreAdmittedOnlyInLabelledNamespacesFromUsersWhoMayEvictThere() throws IOException {
        admission = RealKubernetes.rendered(OVERLAY).stream().filter(o -> o.getApiVersion().startsWith("admissionregistration.k8s.io/"))
                .toList();
        assertThat(admission).extracting(HasMetadata::getKind)
                .containsExactlyInAnyOrder("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
        for (HasMetadata object : admission) {
            if (object instanceof ValidatingAdmissionPolicyBinding binding) {
                assertThat(binding.getSpec().getMatchResources()).as("the shipped binding applies to every namespace").isNull();
                binding.getSpec().setMatchResources(new MatchResourcesBuilder().withNewNamespaceSelector()
                        .withMatchLabels(TEST_SCOPE).endNamespaceSelector().build());
            }
            admin.resource(object).forceConflicts().serverSideApply();
        }
        ValidatingAdmissionPolicy checked = Poll.until(Duration.ofSeconds(30),
                () -> admin.admissionRegistration().v1().validatingAdmissionPolicies().withName("leakguard-restarts").get(),
                p -> p.getStatus() != null && p.getStatus().getTypeChecking() != null, "the server to type-check the policy's CEL");
        assertThat(checked.getStatus().getTypeChecking().getExpressionWarnings()).as("CEL type-checked against the CRD schema").isEmpty();
        Poll.until(Duration.ofSeconds(30), () -> apply("alice", other, freshName("probe"), "Evict", false), r -> r.exitCode() != 0,
                "the admission policy to take effect");

        assertThat(apply("alice", allowed, "checkout", "Evict", false).exitCode()).as("edit, in a labelled namespace").isZero();
        assertThat(apply("alice", allowed, "search", "RolloutRestart", false).exitCode()).isZero();

        ExternalTool.Result refused = apply("alice", other, "checkout", "Evict", false);
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.output()).contains("ValidatingAdmissionPolicy 'leakguard-restarts'")
                .contains("action.type Evict is allowed only in namespaces labelled leakguard.dev/restarts=allowed, and namespace "
                        + other + " is not");
        assertThat(apply("alice", other, "annotate-only", "Annotate", false).exitCode()).as("Annotate anywhere").isZero();
        assertThat(apply("alice", other, "rehearsal", "Evict", true).exitCode()).as("a dry run restarts nothing").isZero();
        ExternalTool.Result upgraded = apply("alice", other, "annotate-only", "RolloutRestart", false);
        assertThat(upgraded.output()).as("turning an Annotate policy into restarts is refused too")
                .contains("action.type RolloutRestart is allowed only in namespaces labelled");

        ExternalTool.Result deputy = apply("carol", allowed, "deputy", "Evict", false);
        assertThat(deputy.exitCode()).as("leakguard-edit without the right to evict: %s", deputy.output()).isNotZero();
        assertThat(deputy.output()).contains("action.type Evict restarts pods, and carol may not evict pods in namespace " + allowed);

        // The namespace loses its label later: the operator keeps writing its restart ledger on the policy (spec unchanged).
        label(allowed, "leakguard.dev/restarts", null);
        Poll.until(Duration.ofSeconds(30), () -> apply("alice", allowed, freshName("late"), "Evict", false), r -> r.exitCode() != 0,
                "the label's removal to reach the admission policy");
        try (KubernetesClient operator = k8s.operatorClient()) {
            LeakPolicy patched = operator.resources(LeakPolicy.class).inNamespace(allowed).withName("checkout")
                    .edit(p -> {
                        p.getMetadata().setAnnotations(Map.of(AnnotationLedgerStore.LEDGER_ANNOTATION, "{}"));
                        return p;
                    });
            assertThat(patched.getMetadata().getAnnotations()).containsKey(AnnotationLedgerStore.LEDGER_ANNOTATION);
        }
    }

    /**
     * A new name for each attempt of a poll: once an early attempt was admitted (the policy not yet in force), applying the
     * same object again changes no spec and is rightly admitted, so the poll would never see the refusal.
     */
    private static String freshName(String prefix) {
        return prefix + "-" + ATTEMPTS.incrementAndGet();
    }

    private static ExternalTool.Result apply(String user, String namespace, String name, String action, boolean dryRun) {
        try {
            Path file = Files.createTempFile("leakpolicy-" + name, ".yaml");
            Files.writeString(file, """
                    apiVersion: leakguard.dev/v1alpha1
                    kind: LeakPolicy
                    metadata: {name: %s, namespace: %s}
                    spec:
                      selector: {matchLabels: {app: %s}}
                      metrics: {port: metrics}
                      action: {type: %s, dryRun: %s}
                    """.formatted(name, namespace, name, action, dryRun));
            try {
                return k8s.kubectl("--as=" + user, "apply", "-f", file.toString());
            } finally {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String canI(String user, String verb, String resource, String namespace) {
        return k8s.kubectl("auth", "can-i", verb, resource, "--as=" + user, "-n", namespace).output().trim();
    }

    private static void bind(String user, String clusterRole, String namespace) {
        admin.rbac().roleBindings().inNamespace(namespace).resource(new RoleBindingBuilder()
                .withNewMetadata().withName(user + "-" + clusterRole).withNamespace(namespace).endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(clusterRole).endRoleRef()
                .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName(user).endSubject()
                .build()).create();
    }

    private static void label(String namespace, String key, String value) {
        admin.namespaces().withName(namespace).edit(ns -> {
            if (value == null) {
                ns.getMetadata().getLabels().remove(key);
            } else {
                ns.getMetadata().getLabels().put(key, value);
            }
            return ns;
        });
    }
}
