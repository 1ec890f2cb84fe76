package dev.leakguard.realcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.testing.RealKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The test control plane itself: the version built, real authentication and a real authorizer. */
class ControlPlaneTest {
    @RegisterExtension
    static final RealKubernetes k8s = new RealKubernetes();

    @Test
    void theServerIsTheReleasePinnedInTheGoModule() {
        assertThat(k8s.admin().getKubernetesVersion().getGitVersion()).isEqualTo(RealKubernetes.kubernetesVersion());
    }

    @Test
    void theOperatorsServiceAccountTokenIsRealAndRbacDecides() {
        k8s.installLeakguard();
        // Not the operator's User-Agent: the RBAC test reads the operator's own calls from the audit log.
        try (KubernetesClient operator = k8s.plane().client(k8s.operatorToken(), "leakguard-tests/rbac-probe")) {
            assertThat(operator.pods().inAnyNamespace().list().getItems()).isNotNull();
            assertThatThrownBy(() -> operator.secrets().inAnyNamespace().list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403))
                    .hasMessageContaining("system:serviceaccount:leakguard:leakguard");
        }
    }
}
