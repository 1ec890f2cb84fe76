package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class UnknownFieldsTest {

    @Test
    void findsMisspeltFieldsAtAnyDepth() {
        Deployment deployment = new KubernetesSerialization().unmarshal("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d, lables: {a: b}}
                spec:
                  replicas: 2
                  template:
                    spec:
                      containers:
                        - name: c
                          securityContext: {readOnlyRootFileSystem: true}
                          resources: {limits: {memory: 1Gi}}
                """, Deployment.class);

        assertThat(UnknownFields.in(deployment)).containsExactlyInAnyOrder(
                "metadata.lables",
                "spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem");
    }
}
