package dev.leakguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.engine.LimitSource;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.policy.PrometheusUrlAllowList;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.testing.TestPods;
import dev.leakguard.testing.TestPolicies;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which container and ports a policy reads, and which of the pod's memory limits it predicts against. */
class TargetResolverTest {
    private static final double MIB = 1 << 20;
    /** A Go service with metrics on one port and pprof on another, as many serve it. */
    private static final Pod GO_SERVICE = Serialization.unmarshal("""
            apiVersion: v1
            kind: Pod
            metadata: {name: checkout-0, namespace: shop, uid: uid-1}
            spec:
              containers:
              - name: app
                ports: [{name: metrics, containerPort: 9090}, {name: pprof, containerPort: 6060}]
            status:
              phase: Running
              podIP: 10.1.2.3
            """, Pod.class);

    @Test
    void theProfileComesFromTheMetricsPortUnlessProfilePortNamesAnother() {
        assertThat(profileUri("metrics: {port: metrics}\nprofile: {type: go}"))
                .isEqualTo(URI.create("http://10.1.2.3:9090/debug/pprof/goroutine?debug=1"));
        assertThat(profileUri("metrics: {port: metrics}\nprofile: {type: go, port: pprof}"))
                .isEqualTo(URI.create("http://10.1.2.3:6060/debug/pprof/goroutine?debug=1"));
        assertThat(profileUri("metrics: {port: metrics}\nprofile: {type: jvm, port: 8081}"))
                .as("a numbered port need not be declared").isEqualTo(URI.create("http://10.1.2.3:8081/actuator/threaddump"));
        assertThat(resolveGoService("metrics: {port: metrics}\nprofile: {type: go, port: pprof}"))
                .extracting(r -> ((TargetResolver.Resolved) r).target().metricsUri()).isEqualTo(URI.create("http://10.1.2.3:9090/metrics"));
    }

    @Test
    void aNamedProfilePortThePodLacksIsASpecProblemNamingTheField() {
        TargetResolver.Resolution resolution = resolveGoService("metrics: {port: metrics}\nprofile: {type: go, port: debug}");
        assertThat(resolution).isEqualTo(new TargetResolver.Unresolved("no container port 'debug' (spec.profile.port) in pod", true));
    }

    private static URI profileUri(String spec) {
        return ((TargetResolver.Resolved) resolveGoService(spec)).target().profileUri();
    }

    private static TargetResolver.Resolution resolveGoService(String spec) {
        PolicyResolver.Result result = new PolicyResolver(PrometheusUrlAllowList.none())
                .resolve(TestPolicies.fromSpec("shop", "p", "selector: {matchLabels: {app: x}}\ndetection: {memoryLimit: 1Gi}\n" + spec));
        return TargetResolver.resolve(((PolicyResolver.Valid) result).policy(), GO_SERVICE, ScrapeAccess.PLAIN_HTTP);
    }

    @Test
    void anUndeclaredNumericPortIsNotGivenToAMeshProxyInjectedFirst() {
        Pod meshed = new PodBuilder(app()).editSpec()
                .withContainers(proxy(), app().getSpec().getContainers().get(0)).endSpec().build();

        assertThat(resolve("port: 9102", meshed)).isInstanceOfSatisfying(TargetResolver.Unresolved.class, u -> {
            assertThat(u.portMissing()).isTrue();
            assertThat(u.reason()).isEqualTo("port 9102 is declared by no container and the pod has 2 containers;"
                    + " name one in spec.metrics.container");
        });
        assertThat(target("{port: 9102, container: app}", meshed).container()).isEqualTo("app");
        Pod annotated = new PodBuilder(meshed).editMetadata()
                .addToAnnotations(TargetResolver.DEFAULT_CONTAINER_ANNOTATION, "app").endMetadata().build();
        assertThat(target("port: 9102", annotated).container()).as("the mesh's default-container annotation").isEqualTo("app");
        assertThat(target("port: 9102", app()).container()).as("a pod with one container").isEqualTo("app");
    }

    @Test
    void aNamedContainerLimitsTheSearchAndAMissingOneIsASpecProblem() {
        Pod meshed = new PodBuilder(app()).editSpec().addToContainers(proxy()).endSpec().build();

        assertThat(target("{port: 15090}", meshed).container()).isEqualTo("istio-proxy");
        assertThat(target("{port: 15090, container: app}", meshed).container())
                .as("the named container, though another declares the port").isEqualTo("app");
        assertThat(resolve("{port: metrics, container: worker}", meshed)).isInstanceOfSatisfying(TargetResolver.Unresolved.class, u -> {
            assertThat(u.portMissing()).isTrue();
            assertThat(u.reason()).isEqualTo("no container 'worker' in pod (spec.metrics.container)");
        });
    }

    @Test
    void nativeSidecarsAreSearchedForPortsButOtherInitContainersAreNot() {
        Pod pod = new PodBuilder(app()).editSpec()
                .addNewInitContainer().withName("migrate").withImage("example/migrate:1")
                .addNewPort().withName("admin").withContainerPort(7000).endPort().endInitContainer()
                .addNewInitContainer().withName("agent").withImage("example/agent:1").withRestartPolicy("Always")
                .addNewPort().withName("agent-metrics").withContainerPort(9200).endPort().endInitContainer()
                .endSpec().editStatus()
                .addNewInitContainerStatus().withName("agent").withRestartCount(2)
                .withNewState().withNewRunning().withStartedAt("2026-01-01T00:05:00Z").endRunning().endState()
                .endInitContainerStatus().endStatus().build();

        ScrapeTarget agent = target("{port: agent-metrics}", pod);
        assertThat(agent.container()).isEqualTo("agent");
        assertThat(agent.restartCount()).as("from the sidecar's status among the init containers'").isEqualTo(2);
        assertThat(agent.containerStartMillis()).isEqualTo(Instant.parse("2026-01-01T00:05:00Z").toEpochMilli());
        assertThat(resolve("{port: admin}", pod)).isInstanceOf(TargetResolver.Unresolved.class);
    }

    @Test
    void theLimitIsTheContainerStatusThenTheContainerSpecThenThePodLevelLimit() {
        Pod resized = new PodBuilder(app()).editStatus().editFirstContainerStatus()
                .withNewResources().withLimits(Map.of("memory", new Quantity("768Mi"))).endResources()
                .endContainerStatus().endStatus().build();
        Pod noContainerLimit = new PodBuilder(app()).editSpec().editFirstContainer().withResources(null).endContainer()
                .withNewResources().withLimits(Map.of("memory", new Quantity("1Gi"))).endResources().endSpec().build();
        Pod noLimit = new PodBuilder(app()).editSpec().editFirstContainer().withResources(null).endContainer().endSpec().build();

        assertLimit(target("port: metrics", resized), 768 * MIB, LimitSource.CONTAINER_STATUS);
        assertLimit(target("port: metrics", app()), 512 * MIB, LimitSource.CONTAINER_SPEC);
        assertLimit(target("port: metrics", noContainerLimit), 1024 * MIB, LimitSource.POD_SPEC);
        assertLimit(target("port: metrics", noLimit), Double.NaN, null);
        ResolvedPolicy withLimit = policy("port: metrics", "{memoryLimit: 300Mi}");
        assertLimit(((TargetResolver.Resolved) TargetResolver.resolve(withLimit, resized, ScrapeAccess.PLAIN_HTTP)).target(), 300 * MIB, LimitSource.POLICY);
    }

    @Test
    void theMemoReusesAResolutionOnlyForTheSamePodObjectUnderEqualInputs() {
        TargetResolver.Memo memo = new TargetResolver.Memo();
        PolicyKey key = new PolicyKey("shop", "checkout");
        Pod pod = new PodBuilder(app()).editMetadata().withUid("uid-1").endMetadata().build();
        TargetResolver.Resolution first = memo.resolveAll(key, policy("port: 9090", "{}"), List.of(pod), ScrapeAccess.PLAIN_HTTP).get(0);
        assertThat(memo.resolveAll(key, policy("port: 9090", "{}"), List.of(pod), ScrapeAccess.PLAIN_HTTP).get(0))
                .as("the same pod object, and a policy resolved again alike").isSameAs(first);

        Pod moved = new PodBuilder(pod).editStatus().withPodIP("10.9.9.9").endStatus().build();
        assertThat(((TargetResolver.Resolved) memo.resolveAll(key, policy("port: 9090", "{}"), List.of(moved), ScrapeAccess.PLAIN_HTTP)
                .get(0)).target().metricsUri()).as("the informer's new object for a changed pod").isEqualTo(URI.create("http://10.9.9.9:9090/metrics"));
        assertThat(((TargetResolver.Resolved) memo.resolveAll(key, policy("port: 9091", "{}"), List.of(moved), ScrapeAccess.PLAIN_HTTP)
                .get(0)).target().metricsUri()).as("a policy naming another port").isEqualTo(URI.create("http://10.9.9.9:9091/metrics"));
        ScrapeAccess https = ScrapeAccess.of(new ScrapeAccess.Tls(null, null, false), null);
        assertThat(((TargetResolver.Resolved) memo.resolveAll(key, policy("port: 9091", "{}"), List.of(moved), https).get(0))
                .target().metricsUri().getScheme()).as("other access").isEqualTo("https");
        assertThat(memo.resolveAll(key, policy("port: 9091", "{}"), List.of(moved), ScrapeAccess.of(new ScrapeAccess.Tls(null, null, false), null))
                .get(0).equals(memo.resolveAll(key, policy("port: 9091", "{}"), List.of(moved), https).get(0))).isTrue();
        TargetResolver.Resolution limited = memo.resolveAll(key, policy("port: 9091", "{memoryLimit: 1Gi}"), List.of(moved), https).get(0);
        assertLimit(((TargetResolver.Resolved) limited).target(), 1024 * MIB, LimitSource.POLICY);

        memo.retainOnly(other -> false);
        assertThat(memo.resolveAll(key, policy("port: 9091", "{memoryLimit: 1Gi}"), List.of(moved), https).get(0))
                .as("forgotten with its policy").isNotSameAs(limited).isEqualTo(limited);
    }

    private static void assertLimit(ScrapeTarget target, double bytes, LimitSource source) {
        assertThat(Double.compare(target.memoryLimitBytes(), bytes)).as("limit %s, expected %s", target.memoryLimitBytes(), bytes).isZero();
        assertThat(target.limitSource()).isEqualTo(source);
    }

    private static Pod app() {
        return TestPods.running("shop", "checkout-0", Map.of("app", "checkout"), 9090, "512Mi",
                Instant.parse("2026-01-01T00:00:00Z")).build();
    }

    private static io.fabric8.kubernetes.api.model.Container proxy() {
        return new ContainerBuilder().withName("istio-proxy").withImage("istio/proxyv2:1")
                .addNewPort().withName("http-envoy-prom").withContainerPort(15090).endPort()
                .withNewResources().withLimits(Map.of("memory", new Quantity("1Gi"))).endResources().build();
    }

    private static ScrapeTarget target(String metrics, Pod pod) {
        TargetResolver.Resolution resolution = resolve(metrics, pod);
        assertThat(resolution).isInstanceOf(TargetResolver.Resolved.class);
        return ((TargetResolver.Resolved) resolution).target();
    }

    private static TargetResolver.Resolution resolve(String metrics, Pod pod) {
        return TargetResolver.resolve(policy(metrics, "{}"), pod, ScrapeAccess.PLAIN_HTTP);
    }

    private static ResolvedPolicy policy(String metrics, String detection) {
        String metricsYaml = metrics.startsWith("{") ? metrics : "{" + metrics + "}";
        LeakPolicy policy = TestPolicies.fromSpec("shop", "checkout", """
                selector: {matchLabels: {app: checkout}}
                metrics: %s
                detection: %s
                """.formatted(metricsYaml, detection));
        PolicyResolver.Result result = new PolicyResolver(PrometheusUrlAllowList.none()).resolve(policy);
        assertThat(result).isInstanceOf(PolicyResolver.Valid.class);
        return ((PolicyResolver.Valid) result).policy();
    }

    @Test
    void whatTheKubeletAndLeakguardChangeMostOftenResolvesAlike() {
        Pod before = app();
        assertThat(TargetResolver.resolvesAlike(before, new PodBuilder(before).editMetadata()
                .addToAnnotations("leakguard.dev/verdict", "suspect").addToAnnotations("leakguard.dev/memory-growth", "+2.0 MiB/h")
                .endMetadata().build())).as("leakguard's own annotations").isTrue();
        assertThat(TargetResolver.resolvesAlike(before, new PodBuilder(before).editStatus()
                .editFirstCondition().withStatus("False").withLastTransitionTime("2026-01-01T01:00:00Z").endCondition()
                .editFirstContainerStatus().withReady(false).withImageID("sha256:1").endContainerStatus().endStatus().build()))
                .as("a readiness flip").isTrue();
        assertThat(TargetResolver.resolvesAlike(SlimPodStore.watchedForm(before), before))
                .as("the store's trimmed copy against the informer's whole object").isTrue();
    }

    @Test
    void everythingResolveReadsDoesNotResolveAlike() {
        Pod before = app();
        Map<String, Pod> changed = Map.of(
                "restart count", new PodBuilder(before).editStatus().editFirstContainerStatus().withRestartCount(1).endContainerStatus()
                        .endStatus().build(),
                "container start", new PodBuilder(before).editStatus().editFirstContainerStatus().editState().editRunning()
                        .withStartedAt("2026-01-01T02:00:00Z").endRunning().endState().endContainerStatus().endStatus().build(),
                "pod IP", new PodBuilder(before).editStatus().withPodIP("10.0.0.9").endStatus().build(),
                "phase", new PodBuilder(before).editStatus().withPhase("Succeeded").endStatus().build(),
                "deletion", new PodBuilder(before).editMetadata().withDeletionTimestamp("2026-01-01T03:00:00Z").endMetadata().build(),
                "memory limit resized", new PodBuilder(before).editSpec().editFirstContainer().editResources()
                        .addToLimits("memory", new Quantity("1Gi")).endResources().endContainer().endSpec().build(),
                "memory limit the kubelet reports", new PodBuilder(before).editStatus().editFirstContainerStatus().withNewResources()
                        .addToLimits("memory", new Quantity("1Gi")).endResources().endContainerStatus().endStatus().build(),
                "default container", new PodBuilder(before).editMetadata()
                        .addToAnnotations(TargetResolver.DEFAULT_CONTAINER_ANNOTATION, "app").endMetadata().build(),
                "controller", TestPods.ownedBy(new PodBuilder(before), "StatefulSet", new PodBuilder().withNewMetadata()
                        .withName("checkout").withUid("sts-1").endMetadata().build()).build());
        changed.forEach((what, after) -> assertThat(TargetResolver.resolvesAlike(before, after)).as(what).isFalse());
        assertThat(TargetResolver.resolvesAlike(new PodBuilder().withMetadata(before.getMetadata()).build(), before))
                .as("a skeleton: whether a policy selects the pod now is the caller's question").isFalse();
    }
}
