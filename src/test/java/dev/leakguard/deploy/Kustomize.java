package dev.leakguard.deploy;

import dev.leakguard.testing.ExternalTool;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/** Renders a kustomization with the real kustomize inside kubectl, as `kubectl apply -k` would. */
final class Kustomize {

    private Kustomize() {
    }

    /** The objects of a kustomization folder given relative to the project root, e.g. "deploy/". */
    static List<HasMetadata> render(String folder) {
        ExternalTool.Result result = ExternalTool.kubectl().run(ProjectFiles.ROOT, "kustomize", folder);
        assertThat(result.exitCode()).as("kubectl kustomize %s: %s", folder, result.output()).isZero();
        return new KubernetesSerialization().unmarshal(result.output());
    }
}
