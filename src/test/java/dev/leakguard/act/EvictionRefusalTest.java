package dev.leakguard.act;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The answers of a real kube-apiserver to refused evictions ({@code src/test/resources/eviction}), told apart. */
class EvictionRefusalTest {
    @Test
    void aBudgetsRefusalIsA429WithADisruptionBudgetCause() throws IOException {
        EvictionRefusal refusal = EvictionRefusal.of(429, fixture("pdb-blocked-429.json"), null).orElseThrow();
        assertThat(refusal.kind()).isEqualTo(EvictionRefusal.Kind.PDB_BLOCKED);
        assertThat(refusal.message()).isEqualTo("The disruption budget blocked needs 2 healthy pods and has 2 currently");
        assertThat(refusal.retryAfterMillis()).isZero();
    }

    @Test
    void a429WithoutABudgetCauseIsThrottlingAndItsRetryAfterIsKept() throws IOException {
        EvictionRefusal plainText = EvictionRefusal.of(429, fixture("apf-429.txt"), "7").orElseThrow();
        assertThat(plainText.kind()).isEqualTo(EvictionRefusal.Kind.THROTTLED);
        assertThat(plainText.message()).isEqualTo("Too many requests, please try again later.");
        assertThat(plainText.retryAfterMillis()).isEqualTo(7000);

        String status = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"TooManyRequests\","
                + "\"message\":\"storage is throttled\",\"details\":{\"retryAfterSeconds\":3},\"code\":429}";
        EvictionRefusal asStatus = EvictionRefusal.of(429, status, null).orElseThrow();
        assertThat(asStatus.kind()).isEqualTo(EvictionRefusal.Kind.THROTTLED);
        assertThat(asStatus.retryAfterMillis()).isEqualTo(3000);
    }

    @Test
    void aPodUnderTwoBudgetsIsA500ThatSaysSoAndOther500sAreNotRefusals() throws IOException {
        EvictionRefusal refusal = EvictionRefusal.of(500, fixture("two-budgets-500.json"), null).orElseThrow();
        assertThat(refusal.kind()).isEqualTo(EvictionRefusal.Kind.PDB_MISCONFIGURED);
        assertThat(refusal.message()).contains("more than one PodDisruptionBudget");

        assertThat(EvictionRefusal.of(500, "{\"kind\":\"Status\",\"message\":\"etcdserver: request timed out\",\"code\":500}", null))
                .as("a 500 that may have evicted: the caller must look").isEqualTo(Optional.empty());
        assertThat(EvictionRefusal.of(503, "", "1")).isEmpty();
        assertThat(EvictionRefusal.of(404, fixture("two-budgets-500.json"), null)).isEmpty();
    }

    @Test
    void garbageIsReadAsTextNeverThrown() {
        EvictionRefusal refusal = EvictionRefusal.of(429, "{not json", "soon").orElseThrow();
        assertThat(refusal.kind()).isEqualTo(EvictionRefusal.Kind.THROTTLED);
        assertThat(refusal.retryAfterMillis()).isZero();
        assertThat(EvictionRefusal.of(429, "x".repeat(100_000), null).orElseThrow().message()).hasSizeLessThanOrEqualTo(520);
    }

    private static String fixture(String name) throws IOException {
        try (InputStream in = EvictionRefusalTest.class.getResourceAsStream("/eviction/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
