package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The operator Deployment: HA with leader election, health probes, and a hardened pod. */
class DeploymentTest {
    private static final double MIB = 1 << 20;

    private final Deployment deployment = ProjectFiles.manifest(ProjectFiles.BASE.resolve("deployment.yaml"), Deployment.class);
    private final PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    private final Container container = pod.getContainers().get(0);

    @Test
    void runsTwoReplicasOfTheOperatorWithLeaderElection() {
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        assertThat(pod.getContainers()).hasSize(1);
        assertThat(container.getImage()).isEqualTo("leakguard:0.1.0");
        assertThat(container.getCommand()).as("the image's ENTRYPOINT runs the jar").isEmpty();
        assertThat(container.getArgs()).containsExactly("run", "--leader-election", "--http-port=8080", "--probe-port=8081");
        // The Lease lives in the operator's own namespace, which it learns from the downward API.
        assertThat(env("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
    }

    @Test
    void probesUseTheHealthEndpointsOnTheirOwnPort() {
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(List.of(container.getReadinessProbe(), container.getLivenessProbe(), container.getStartupProbe()))
                .allSatisfy(probe -> assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("probes"));
        assertThat(container.getPorts()).anySatisfy(port -> {
            assertThat(port.getName()).isEqualTo("probes");
            assertThat(port.getContainerPort()).isEqualTo(8081);
        });
    }

    @Test
    void requestsAndLimitsAreSetAndTheHeapFollowsTheLimit() {
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(Quantity.getAmountInBytes(container.getResources().getRequests().get("memory")))
                .isLessThanOrEqualTo(Quantity.getAmountInBytes(container.getResources().getLimits().get("memory")));
        String options = env("JAVA_TOOL_OPTIONS").getValue();
        assertThat(options).contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError").doesNotContain("-Xmx");
        // docs/install.md, "Sizing": 10,000 watched pods need a heap of 512 MiB (276 MiB live after GC) and
        // the JVM about 250 MiB beside it at most (capped metaspace, code cache and direct buffers, threads, GC).
        Matcher share = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(options);
        assertThat(share.find()).as("heap share of the limit in %s", options).isTrue();
        double limit = Quantity.getAmountInBytes(container.getResources().getLimits().get("memory")).doubleValue();
        double heap = limit * Integer.parseInt(share.group(1)) / 100;
        assertThat(heap).as("heap").isGreaterThanOrEqualTo(512 * MIB);
        assertThat(limit - heap).as("room beside the heap").isGreaterThanOrEqualTo(384 * MIB);
    }

    @Test
    void podIsHardened() {
        var podSecurity = pod.getSecurityContext();
        assertThat(podSecurity.getRunAsNonRoot()).isTrue();
        assertThat(podSecurity.getRunAsUser()).isEqualTo(10001L);
        assertThat(podSecurity.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

        var security = container.getSecurityContext();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getRunAsUser()).isEqualTo(10001L);
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getCapabilities().getAdd()).isEmpty();
        assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
    }

    @Test
    void tmpIsAWritableEmptyDirBecauseTheRootFilesystemIsReadOnly() {
        assertThat(container.getVolumeMounts()).singleElement().satisfies(mount -> {
            assertThat(mount.getMountPath()).isEqualTo("/tmp");
            assertThat(mount.getReadOnly()).isNotEqualTo(Boolean.TRUE);
            assertThat(pod.getVolumes()).singleElement().satisfies(volume -> {
                assertThat(volume.getName()).isEqualTo(mount.getName());
                assertThat(volume.getEmptyDir()).isNotNull();
            });
        });
    }

    private EnvVar env(String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }
}
