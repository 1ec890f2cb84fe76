package dev.leakguard.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class ExternalToolTest {

    @Test
    void aMissingToolSkipsTheTestLocallyButFailsItInCi() {
        Throwable thrown = catchThrowable(() -> ExternalTool.require("leakguard-no-such-tool", "apt-get install -y no-such-package"));

        if ("true".equals(System.getenv("CI"))) {
            assertThat(thrown).isInstanceOf(AssertionError.class).hasMessageContaining("CI=true");
        } else {
            assertThat(thrown).isInstanceOf(TestAbortedException.class);
        }
        assertThat(thrown).hasMessageContaining("leakguard-no-such-tool").hasMessageContaining("apt-get install -y no-such-package");
    }
}
