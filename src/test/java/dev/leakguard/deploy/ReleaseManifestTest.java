package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.testing.ExternalTool;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** deploy/release/leakguard.yaml, the one-file install, is what deploy/release/generate.sh makes of crds/ and deploy/base today. */
class ReleaseManifestTest {

    @Test
    void releaseManifestIsTheCrdPlusTheKustomizeRenderAndIsNotStale() {
        ExternalTool.kubectl();
        ExternalTool bash = ExternalTool.require("bash", "bash");
        ExternalTool.Result generated = bash.run(ProjectFiles.ROOT, "deploy/release/generate.sh", "--stdout");
        assertThat(generated.exitCode()).as(generated.output()).isZero();
        String committed = ProjectFiles.read(ProjectFiles.DEPLOY.resolve("release/leakguard.yaml"));
        assertThat(committed).as("deploy/release/leakguard.yaml is stale: run deploy/release/generate.sh").isEqualTo(generated.output());

        List<HasMetadata> expected = new ArrayList<>();
        expected.add(ProjectFiles.manifest(ProjectFiles.LEAKPOLICY_CRD));
        expected.addAll(Kustomize.render("deploy/base"));
        assertThat(new KubernetesSerialization().<List<HasMetadata>>unmarshal(committed)).containsExactlyElementsOf(expected);
    }
}
