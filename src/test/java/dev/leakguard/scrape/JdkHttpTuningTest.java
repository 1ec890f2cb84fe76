package dev.leakguard.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JdkHttpTuningTest {
    private final Map<String, String> saved = new HashMap<>();

    @BeforeEach
    void save() {
        for (String key : new String[] {JdkHttpTuning.COMMON_POOL_PARALLELISM, JdkHttpTuning.CONNECTION_POOL_SIZE}) {
            saved.put(key, System.getProperty(key));
            System.clearProperty(key);
        }
    }

    @AfterEach
    void restore() {
        saved.forEach((key, value) -> {
            if (value == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, value);
            }
        });
    }

    @Test
    void boundsTheConnectionPoolAndGivesTheCommonPoolTwoWorkersOnSmallMachines() {
        JdkHttpTuning.apply();

        assertThat(System.getProperty(JdkHttpTuning.CONNECTION_POOL_SIZE)).isEqualTo("64");
        String parallelism = System.getProperty(JdkHttpTuning.COMMON_POOL_PARALLELISM);
        if (Runtime.getRuntime().availableProcessors() <= 2) {
            assertThat(parallelism).isEqualTo("2");
        } else {
            assertThat(parallelism).as("with more CPUs the common pool already has workers").isNull();
        }
    }

    @Test
    void leavesValuesGivenOnTheCommandLineAlone() {
        System.setProperty(JdkHttpTuning.CONNECTION_POOL_SIZE, "7");
        System.setProperty(JdkHttpTuning.COMMON_POOL_PARALLELISM, "5");

        JdkHttpTuning.apply();

        assertThat(System.getProperty(JdkHttpTuning.CONNECTION_POOL_SIZE)).isEqualTo("7");
        assertThat(System.getProperty(JdkHttpTuning.COMMON_POOL_PARALLELISM)).isEqualTo("5");
    }

    @Test
    void namesAMissingConnectionPoolBound() {
        // The common pool of this JVM is whatever it is; with the pool bound unset a problem is always reported.
        assertThat(JdkHttpTuning.problem()).isPresent().get().asString().containsAnyOf("jdk.httpclient.connectionPoolSize",
                "java.util.concurrent.ForkJoinPool.common.parallelism");
    }
}
