package dev.leakguard.act;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.decide.OperatorLedger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The operator-wide ledger's text on its Lease. */
class LeaseOperatorLedgerStoreTest {
    /** What the API server allows for all of an object's annotations together. */
    private static final int ANNOTATIONS_LIMIT = 256 * 1024;

    @Test
    void roundTripsEveryField() {
        OperatorLedger ledger = new OperatorLedger(List.of(
                new OperatorLedger.Start("policy-a", "pod-1", 1_800_000_000_123L, false),
                new OperatorLedger.Start("policy-b", "pod-2", 1_800_000_060_000L, true)));

        String text = LeaseOperatorLedgerStore.write(ledger);

        assertThat(LeaseOperatorLedgerStore.read(text)).isEqualTo(ledger);
        assertThat(text).contains("\"at\":\"2027-01-15T08:00:00.123Z\"");
    }

    @Test
    void absentIsEmptyAndGarbageIsAnError() {
        assertThat(LeaseOperatorLedgerStore.read(null)).isEqualTo(OperatorLedger.EMPTY);
        assertThat(LeaseOperatorLedgerStore.read("")).isEqualTo(OperatorLedger.EMPTY);
        assertThatThrownBy(() -> LeaseOperatorLedgerStore.read("{\"starts\":[{\"policyUid\":\"x\"}]}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without policyUid, podUid or at");
        assertThatThrownBy(() -> LeaseOperatorLedgerStore.read("not json")).isInstanceOf(IllegalArgumentException.class);
    }

    /** The largest cap's worth of restarts and as many dry runs, with real UIDs, fit in one object's annotations. */
    @Test
    void aFullLedgerAtTheLargestCapFitsInTheAnnotations() {
        List<OperatorLedger.Start> starts = new ArrayList<>();
        for (int i = 0; i < 2 * OperatorLedger.MAX_CAP; i++) {
            starts.add(new OperatorLedger.Start(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
                    1_800_000_000_123L + i, i % 2 == 0));
        }

        int bytes = LeaseOperatorLedgerStore.write(new OperatorLedger(starts)).getBytes(StandardCharsets.UTF_8).length
                + LeaseOperatorLedgerStore.LEDGER_ANNOTATION.length();

        assertThat(bytes).as("the ledger's annotation in bytes").isLessThan(ANNOTATIONS_LIMIT * 3 / 4);
    }
}
