package dev.leakguard.operator;

import dev.leakguard.policy.PrometheusUrlAllowList;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.engine.ResolvedPolicy;
import dev.leakguard.scrape.ScrapeAccess;
import dev.leakguard.testing.TestPolicies;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import org.junit.jupiter.api.Test;

class TargetResolverTest {
    /** A Go service with metrics on one port and pprof on another, as many serve it. */
    private static final Pod POD = Serialization.unmarshal("""
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
        assertThat(resolve("metrics: {port: metrics}\nprofile: {type: go, port: pprof}"))
                .extracting(r -> ((TargetResolver.Resolved) r).target().metricsUri()).isEqualTo(URI.create("http://10.1.2.3:9090/metrics"));
    }

    @Test
    void aNamedProfilePortThePodLacksIsASpecProblemNamingTheField() {
        TargetResolver.Resolution resolution = resolve("metrics: {port: metrics}\nprofile: {type: go, port: debug}");
        assertThat(resolution).isEqualTo(new TargetResolver.Unresolved("no container port 'debug' (spec.profile.port) in pod", true));
    }

    private static URI profileUri(String spec) {
        return ((TargetResolver.Resolved) resolve(spec)).target().profileUri();
    }

    private static TargetResolver.Resolution resolve(String spec) {
        PolicyResolver.Result result = new PolicyResolver(PrometheusUrlAllowList.none())
                .resolve(TestPolicies.fromSpec("shop", "p", "selector: {matchLabels: {app: x}}\ndetection: {memoryLimit: 1Gi}\n" + spec));
        ResolvedPolicy policy = ((PolicyResolver.Valid) result).policy();
        return TargetResolver.resolve(policy, POD, ScrapeAccess.PLAIN_HTTP);
    }
}
