package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.EvidenceStore;
import dev.leakguard.act.AnnotationLedgerStore;
import dev.leakguard.act.Disruptor;
import dev.leakguard.act.LeaseOperatorLedgerStore;
import dev.leakguard.act.ObjectNames;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.OperatorLedger;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.demo.SimulatedContainer;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.testing.ControlPlane;
import dev.leakguard.testing.Kubelet;
import dev.leakguard.testing.Poll;
import dev.leakguard.testing.ProjectRoot;
import dev.leakguard.testing.RealKubernetes;
import dev.leakguard.testing.TestEvents;
import dev.leakguard.testing.TestPods;
import dev.leakguard.testing.TestPolicies;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator as deployed — its ServiceAccount's real token, the RBAC that {@code kubectl kustomize deploy/base}
 * renders, leader election on — against a real kube-apiserver with kube-controller-manager. Every kind of write
 * leakguard makes must be accepted by the real server and leave what a kubectl user expects; at the end the
 * server's audit log of the operator's requests must match the permissions the server reports for its
 * ServiceAccount, verb for verb.
 *
 * <p>Time on the operator's clock (and in the simulated services) runs 300x faster, so an hour of leak takes 12 s.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorWritesTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();
    private static final String SERVICE_ACCOUNT = "system:serviceaccount:leakguard:leakguard";
    /** Longer than a label value may be (63): the policy's name must not end up in a label as it is. */
    private static final String LONG_POLICY = "go-services-with-a-name-longer-than-a-label-value-may-be-0123456789abc";

    private static final ScaledClock clock = ScaledClock.compressed(Instant.now(), 300);
    private static final List<AutoCloseable> running = new ArrayList<>();
    private static String ns;
    private static String otherNs;
    private static KubernetesClient admin;
    private static KubernetesClient operatorClient;
    private static LeakguardOperator operator;

    @BeforeAll
    static void startTheOperatorAndItsWorkloads() throws Exception {
        k8s.installLeakguard();
        admin = k8s.admin();
        ns = k8s.namespace("writes");
        otherNs = k8s.namespace("elsewhere");
        Workloads workloads = new Workloads(admin, ns);
        Kubelet kubelet = new Kubelet(admin);

        // Evict: a leaking two-replica Deployment behind a PDB that allows one disruption.
        int checkoutPort = serveLeaking(kubelet, ns, "checkout-api", SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK);
        workloads.deployment("checkout-api", 2, Map.of("app", "checkout-api", "runtime", "go"), checkoutPort, "512Mi");
        workloads.maxUnavailable("checkout-api", 1);
        create(ns, LONG_POLICY, """
                selector: {matchLabels: {runtime: go}}
                metrics: {port: metrics, interval: 15s, threads: go_goroutines}
                profile: {type: go, topGroups: 3}
                detection: {window: 30m, warmup: 5m, horizon: 15m}
                action: {type: Evict, maxConcurrent: 1, cooldown: 10m}
                """);

        // Evict refused: a PDB that allows no disruption (minAvailable = replicas).
        int paymentsPort = serveLeaking(kubelet, ns, "payments", SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK);
        workloads.deployment("payments", 2, Map.of("app", "payments"), paymentsPort, "512Mi");
        workloads.minAvailable("payments", 2);
        // Its scrapes carry a bearer token from a Secret the operator may get by name only (deploy/app-namespace).
        admin.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("metrics-token").endMetadata()
                .withStringData(Map.of("token", "payments-scrape-token")).build()).create();
        admin.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("database-password").endMetadata()
                .withStringData(Map.of("password", "not for leakguard")).build()).create();
        for (HasMetadata object : admin.getKubernetesSerialization().<List<HasMetadata>>unmarshal(
                Files.readString(ProjectRoot.PATH.resolve("deploy/app-namespace/role-scrape-credentials.yaml")))) {
            object.getMetadata().setNamespace(ns);
            admin.resource(object).create();
        }
        create(ns, "payments", """
                selector: {matchLabels: {app: payments}}
                metrics: {port: metrics, interval: 15s, authorization: {credentials: {name: metrics-token, key: token}}}
                detection: {window: 30m, warmup: 5m, horizon: 15m}
                action: {type: Evict}
                """);

        // RolloutRestart of each workload kind: the Deployment really rolls (kube-controller-manager), the others are patched.
        int searchPort = serveLeaking(kubelet, ns, "search", SimulatedContainer.Behaviour.JVM_THREAD_POOL_LEAK);
        workloads.deployment("search", 1, Map.of("app", "search"), searchPort, "512Mi");
        int ledgerPort = serveLeaking(kubelet, ns, "ledger", SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK);
        workloads.statefulSetPod("ledger", Map.of("app", "ledger"), ledgerPort, "512Mi");
        int agentPort = serveLeaking(kubelet, ns, "node-agent", SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK);
        workloads.daemonSetPod("node-agent", Map.of("app", "node-agent"), agentPort, "512Mi");
        // Evidence already there for the ledger pod: storing it again replaces it.
        admin.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(EvidenceStore.nameFor("ledger-0"))
                .withNamespace(ns).endMetadata().build()).create();
        // A full evidence shelf for the ledger policy: its next evidence makes the operator prune the oldest.
        for (int i = 0; i < EvidenceStore.MAX_PER_POLICY; i++) {
            admin.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("leakguard-evidence-old-" + i)
                    .withNamespace(ns).withLabels(Map.of(EvidenceStore.LABEL, "true", EvidenceStore.POLICY_LABEL, "ledger"))
                    .withAnnotations(Map.of(EvidenceStore.CAPTURED_AT, "2025-01-01T00:00:0" + (i % 10) + "Z")).endMetadata().build()).create();
        }
        for (String app : List.of("search", "ledger", "node-agent")) {
            create(ns, app, """
                    selector: {matchLabels: {app: %s}}
                    metrics: {port: metrics, interval: 15s}
                    detection: {window: 30m, warmup: 5m, horizon: 15m}
                    action: {type: RolloutRestart}
                    """.formatted(app));
        }

        // A leaking pod in another namespace that a policy here selects by label: it must stay untouched.
        int victimPort = serveLeaking(kubelet, otherNs, "victim", SimulatedContainer.Behaviour.GO_REDIS_CLIENT_LEAK);
        new Workloads(admin, otherNs).barePod("victim", Map.of("app", "victim"), victimPort, "512Mi");
        create(ns, "victim", """
                selector: {matchLabels: {app: victim}}
                metrics: {port: metrics, interval: 15s}
                detection: {window: 30m, warmup: 5m, horizon: 15m}
                action: {type: Evict}
                """);

        // An invalid policy the schema cannot catch (an unparsable series selector): its InvalidSpec Event repeats as a count update.
        create(ns, "broken", """
                selector: {matchLabels: {app: none}}
                metrics: {port: metrics, memory: "bad{selector"}
                """);

        operatorClient = k8s.operatorClient();
        operator = new LeakguardOperator(operatorClient, clock, new MicrometerOperatorMetrics("test"),
                // Status refresh is on the operator's clock: 150 s there is half a real second.
                LeakguardOperator.Settings.builder().statusRefresh(Duration.ofSeconds(150))
                        .leaderElection(ControlPlane.OPERATOR_NAMESPACE, "leakguard-writes-test", false).build());
        operator.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (operator != null) {
            operator.close();
        }
        k8s.deleteOperatorLedger();
        for (AutoCloseable closeable : running) {
            closeable.close();
        }
        if (operatorClient != null) {
            operatorClient.close();
        }
    }

    @Test
    @Order(1)
    void startsWithLeaderElectionAsItsServiceAccountAndHoldsTheLease() {
        assertThat(operator.started()).isTrue();
        Lease lease = Poll.until(Duration.ofSeconds(20),
                () -> admin.leases().inNamespace(ControlPlane.OPERATOR_NAMESPACE).withName("leakguard-leader").get(),
                l -> l != null && "leakguard-writes-test".equals(l.getSpec().getHolderIdentity()), "the operator to hold the Lease");
        assertThat(lease.getSpec().getLeaseDurationSeconds()).isPositive();
    }

    @Test
    @Order(2)
    void aLeakingReplicaIsAnnotatedAnnouncedEvidencedAndEvictedThroughTheRealEvictionApi() {
        Event evicted = Poll.until(Duration.ofSeconds(90), () -> events(ns, "Evicted"), e -> !e.isEmpty(),
                "an Evicted event for a checkout-api pod").get(0);
        String pod = evicted.getInvolvedObject().getName();
        assertThat(pod).startsWith("checkout-api-");
        assertThat(evicted.getSource().getComponent()).isEqualTo("leakguard");

        Event predicted = events(ns, "OOMPredicted").stream().filter(e -> e.getInvolvedObject().getName().equals(pod)).findFirst()
                .orElseThrow(() -> new AssertionError("no OOMPredicted before evicting " + pod));
        assertThat(predicted.getType()).isEqualTo("Warning");
        assertThat(predicted.getMessage()).contains("Memory limit 512Mi (container spec) predicted in").contains("(*ConnPool).reaper");

        // The evidence ConfigMap: owned by the policy, labelled so `kubectl get cm -l leakguard.dev/evidence=true` finds it.
        ConfigMap evidence = admin.configMaps().inNamespace(ns).withName(EvidenceStore.nameFor(pod)).get();
        assertThat(evidence).as("evidence for %s", pod).isNotNull();
        assertThat(evidence.getMetadata().getLabels()).containsEntry(EvidenceStore.LABEL, "true");
        LeakPolicy policy = admin.resources(LeakPolicy.class).inNamespace(ns).withName(LONG_POLICY).get();
        assertThat(evidence.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(policy.getMetadata().getUid()));
        assertThat(admin.configMaps().inNamespace(ns).withLabel(EvidenceStore.LABEL, "true").list().getItems())
                .extracting(c -> c.getMetadata().getName()).contains(evidence.getMetadata().getName());

        // The eviction really happened: the pod is gone, the ReplicaSet made a replacement, the Kubelet stand-in runs it.
        Poll.until(Duration.ofSeconds(30), () -> admin.pods().inNamespace(ns).withName(pod).get(), p -> p == null, pod + " to be gone");
        Poll.until(Duration.ofSeconds(30), () -> admin.pods().inNamespace(ns).withLabel("app", "checkout-api").list().getItems(),
                pods -> pods.size() == 2 && pods.stream().allMatch(p -> "Running".equals(p.getStatus().getPhase())),
                "two running checkout-api replicas again");

        // Status and the restart ledger, as `kubectl get lp -o yaml` shows them.
        LeakPolicy status = Poll.until(Duration.ofSeconds(20),
                () -> admin.resources(LeakPolicy.class).inNamespace(ns).withName(LONG_POLICY).get(),
                p -> p.getStatus() != null && p.getStatus().getRestarts() != null && p.getStatus().getRestarts() >= 1,
                "the policy's status to count the restart");
        assertThat(status.getStatus().getObservedGeneration()).isEqualTo(status.getMetadata().getGeneration());
        assertThat(status.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("Ready");
            assertThat(c.getStatus()).isEqualTo("True");
        });
        assertThat(status.getStatus().getWatched()).isEqualTo(2);
        assertThat(status.getMetadata().getAnnotations()).containsKey(AnnotationLedgerStore.LEDGER_ANNOTATION);

        // The restart's slot of the operator-wide cap: on the Lease all replicas share, created and then updated (with the
        // resourceVersion it was read at) by the operator's ServiceAccount.
        OperatorLedger operatorWide = new LeaseOperatorLedgerStore(admin, ControlPlane.OPERATOR_NAMESPACE, ObjectNames.OPERATOR_LEDGER,
                () -> OperatorLedger.EMPTY).update(UnaryOperator.identity());
        assertThat(operatorWide.starts()).anySatisfy(start -> assertThat(start.policyUid()).isEqualTo(policy.getMetadata().getUid()));
        List<String> ledgerWrites = Poll.until(Duration.ofSeconds(20), () -> k8s.plane().auditedRequests(SERVICE_ACCOUNT).stream()
                        .filter(r -> r.resource().equals("leases") && ObjectNames.OPERATOR_LEDGER.equals(r.name()) && r.code() < 300)
                        .map(ControlPlane.AuditedRequest::verb).distinct().toList(),
                verbs -> verbs.containsAll(List.of("create", "update")), "the operator-wide ledger created and updated in the audit log");
        assertThat(ledgerWrites).doesNotContain("patch", "delete");
    }

    @Test
    @Order(3)
    void podAnnotationsAreWrittenOnTheRealPods() {
        Pod annotated = Poll.until(Duration.ofSeconds(60),
                () -> admin.pods().inNamespace(ns).withLabel("app", "payments").list().getItems().stream()
                        .filter(p -> "leaking".equals(TestPods.annotation(p, PodAnnotations.VERDICT))).findFirst().orElse(null),
                p -> p != null, "a payments pod annotated leaking");
        assertThat(TestPods.annotation(annotated, PodAnnotations.MEMORY_GROWTH)).startsWith("+").endsWith("/min");
        assertThat(TestPods.annotation(annotated, PodAnnotations.SECONDS_TO_LIMIT)).isNotBlank();
    }

    @Test
    @Order(4)
    void aPdbThatAllowsNoDisruptionMakesTheServerRefuseAndLeakguardReportsItOnce() {
        // Both replicas leak in step, so the second may first be held by maxConcurrent while the first one's eviction is tried.
        Event blocked = Poll.until(Duration.ofSeconds(60), () -> events(ns, "RestartBlocked").stream()
                        .filter(e -> e.getInvolvedObject().getName().startsWith("payments-"))
                        .filter(e -> e.getMessage().contains("PodDisruptionBudget")).toList(),
                e -> !e.isEmpty(), "a RestartBlocked event naming the PodDisruptionBudget for a payments pod").get(0);
        assertThat(blocked.getMessage()).contains("PodDisruptionBudget payments");
        assertThat(admin.pods().inNamespace(ns).withLabel("app", "payments").list().getItems()).hasSize(2);
        assertThat(events(ns, "Evicted")).noneMatch(e -> e.getInvolvedObject().getName().startsWith("payments-"));
    }

    @Test
    @Order(5)
    void rolloutRestartsPatchDeploymentStatefulSetAndDaemonSet() {
        for (String kind : List.of("Deployment:search", "StatefulSet:ledger", "DaemonSet:node-agent")) {
            String name = kind.substring(kind.indexOf(':') + 1);
            HasMetadata restarted = Poll.until(Duration.ofSeconds(60), () -> switch (kind.substring(0, kind.indexOf(':'))) {
                case "Deployment" -> admin.apps().deployments().inNamespace(ns).withName(name).get();
                case "StatefulSet" -> admin.apps().statefulSets().inNamespace(ns).withName(name).get();
                default -> admin.apps().daemonSets().inNamespace(ns).withName(name).get();
            }, w -> templateAnnotations(w).containsKey(Disruptor.ROLLOUT_RESTARTED_AT), kind + " rolled out by leakguard");
            assertThat(restarted).isNotNull();
            Poll.until(Duration.ofSeconds(20), () -> events(ns, "RolloutRestarted"),
                    e -> e.stream().anyMatch(x -> x.getMessage().contains(kind.replace(':', '/'))), "a RolloutRestarted event for " + kind);
        }
        // kube-controller-manager rolls the Deployment for real: a second ReplicaSet whose pod carries the restart annotation.
        Poll.until(Duration.ofSeconds(60), () -> admin.apps().replicaSets().inNamespace(ns).withLabel("app", "search").list().getItems(),
                sets -> sets.size() == 2, "a new ReplicaSet for search");
    }

    @Test
    @Order(6)
    void eventsRepeatAsCountUpdatesNotNewObjects() {
        List<Event> repeated = Poll.until(Duration.ofSeconds(60), () -> admin.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "leakguard".equals(e.getSource().getComponent()) && e.getCount() != null && e.getCount() > 1).toList(),
                e -> !e.isEmpty(), "an Event whose count went up");
        Event event = repeated.get(0);
        assertThat(admin.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> e.getReason().equals(event.getReason()) && e.getMessage().equals(event.getMessage())
                        && e.getInvolvedObject().getUid().equals(event.getInvolvedObject().getUid())))
                .as("one object per repeated event").hasSize(1);
    }

    @Test
    @Order(7)
    void aPolicyCannotReachPodsOfAnotherNamespace() {
        LeakPolicy victim = Poll.until(Duration.ofSeconds(20), () -> admin.resources(LeakPolicy.class).inNamespace(ns).withName("victim").get(),
                p -> p.getStatus() != null && p.getStatus().getWatched() != null, "the victim policy's status");
        assertThat(victim.getStatus().getWatched()).isZero();
        Pod pod = admin.pods().inNamespace(otherNs).withName("victim").get();
        assertThat(pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations())
                .as("annotations of %s/victim", otherNs).noneSatisfy((key, value) -> assertThat(key).startsWith(PodAnnotations.PREFIX));
        assertThat(TestEvents.about(admin, otherNs, "victim")).isEmpty();
    }

    @Test
    @Order(8)
    void evidenceIsReplacedAndTheOldestIsPrunedBeyondTwentyPerPolicy() {
        Poll.until(Duration.ofSeconds(60), () -> admin.configMaps().inNamespace(ns).withName(EvidenceStore.nameFor("ledger-0")).get(),
                c -> c.getBinaryData() != null && !c.getBinaryData().isEmpty(), "ledger-0's evidence to replace the empty ConfigMap");
        List<ConfigMap> shelf = Poll.until(Duration.ofSeconds(30), () -> admin.configMaps().inNamespace(ns)
                        .withLabel(EvidenceStore.POLICY_LABEL, "ledger").withLabel(EvidenceStore.LABEL, "true").list().getItems(),
                items -> items.size() == EvidenceStore.MAX_PER_POLICY, "the ledger policy's shelf pruned back to " + EvidenceStore.MAX_PER_POLICY);
        assertThat(shelf).extracting(c -> c.getMetadata().getName()).contains(EvidenceStore.nameFor("ledger-0"))
                .doesNotContain("leakguard-evidence-old-0");
    }

    @Test
    @Order(9)
    void deletingThePolicyGarbageCollectsItsEvidence() {
        Poll.until(Duration.ofSeconds(10), () -> admin.configMaps().inNamespace(ns).withLabel(EvidenceStore.LABEL, "true").list().getItems(),
                items -> !items.isEmpty(), "evidence to exist");
        admin.resources(LeakPolicy.class).inNamespace(ns).withName(LONG_POLICY).delete();
        Poll.until(Duration.ofSeconds(60), () -> admin.configMaps().inNamespace(ns).withLabel(EvidenceStore.LABEL, "true").list().getItems()
                        .stream().filter(c -> c.getMetadata().getOwnerReferences().stream().anyMatch(o -> o.getName().equals(LONG_POLICY))).toList(),
                List::isEmpty, "kube-controller-manager's garbage collector to delete the evidence owned by the deleted policy");
    }

    /**
     * Least privilege, on the real server: what the operator called (kube-apiserver's audit log) plus what JOSDK
     * checks at start (get, create and update on Leases) must be exactly what the server says its ServiceAccount
     * may do — nothing missing, nothing granted that was never used.
     */
    @Test
    @Order(10)
    void theServiceAccountMayDoExactlyWhatTheOperatorDid() {
        Set<String> used = new TreeSet<>();
        for (ControlPlane.AuditedRequest request : k8s.plane().auditedRequests(SERVICE_ACCOUNT)) {
            if (!request.userAgent().startsWith(LeakguardOperator.USER_AGENT_PREFIX)) {
                continue; // a test probing the ServiceAccount's limits, not the operator
            }
            if (request.resource().isEmpty() || request.apiGroup().equals("authorization.k8s.io")) {
                continue; // discovery, and the self-reviews every user may make
            }
            used.add(permission(request.apiGroup(), request.subresource().isEmpty() ? request.resource()
                    : request.resource() + "/" + request.subresource(), request.verb()));
        }
        // JOSDK refuses to start unless the Role grants these three, whether or not this run called them.
        used.addAll(List.of(permission("coordination.k8s.io", "leases", "get"), permission("coordination.k8s.io", "leases", "create"),
                permission("coordination.k8s.io", "leases", "update")));

        Set<String> granted = new TreeSet<>();
        granted.addAll(RbacOnTheServer.grantedTo(k8s, SERVICE_ACCOUNT, ns));
        granted.addAll(RbacOnTheServer.grantedTo(k8s, SERVICE_ACCOUNT, ControlPlane.OPERATOR_NAMESPACE));
        granted.removeAll(RbacOnTheServer.grantedTo(k8s, "system:serviceaccount:leakguard:nobody", ns));

        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(granted);
        Set<String> unused = new TreeSet<>(granted);
        unused.removeAll(used);
        assertThat(missing).as("called by the operator but not granted (the server refused these)").isEmpty();
        // The Secret rule is held to one name: the server refuses the operator any other Secret.
        assertThat(k8s.kubectl("auth", "can-i", "get", "secret/database-password", "--as=" + SERVICE_ACCOUNT, "-n", ns).output().trim())
                .isEqualTo("no");
        assertThat(k8s.kubectl("auth", "can-i", "list", "secrets", "--as=" + SERVICE_ACCOUNT, "-n", ns).output().trim()).isEqualTo("no");
        assertThat(unused).as("granted to the operator but never needed").isEmpty();
    }

    private static String permission(String group, String resource, String verb) {
        return verb + " " + (group.isEmpty() ? "core" : group) + "/" + resource;
    }

    private static Map<String, String> templateAnnotations(HasMetadata workload) {
        Map<String, Object> template = admin.getKubernetesSerialization().convertValue(workload, Map.class);
        Object annotations = ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) template.get("spec")).get("template")).get("metadata")))
                .get("annotations");
        @SuppressWarnings("unchecked")
        Map<String, String> out = annotations == null ? Map.of() : (Map<String, String>) annotations;
        return out;
    }

    private static List<Event> events(String namespace, String reason) {
        return admin.v1().events().inNamespace(namespace).list().getItems().stream().filter(e -> reason.equals(e.getReason())).toList();
    }

    /** Plays the kubelet for the pods labelled {@code app: app}: each runs a simulated container on its own IP and the returned port. */
    private static int serveLeaking(Kubelet kubelet, String namespace, String app, SimulatedContainer.Behaviour behaviour) {
        int port = Workloads.freePort();
        running.add(kubelet.serve(namespace, Map.of("app", app), (pod, ip) -> new SimulatedContainer(behaviour, clock,
                pod.getMetadata().getName().hashCode(), new InetSocketAddress(ip, port)), clock::instant));
        return port;
    }

    private static void create(String namespace, String name, String spec) {
        admin.resources(LeakPolicy.class).inNamespace(namespace).resource(TestPolicies.fromSpec(namespace, name, spec)).create();
    }
}
