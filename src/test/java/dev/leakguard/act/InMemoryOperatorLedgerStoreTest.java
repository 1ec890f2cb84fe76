package dev.leakguard.act;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.decide.OperatorLedger;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class InMemoryOperatorLedgerStoreTest {
    private static final OperatorLedger.Start EARLIER = new OperatorLedger.Start("policy-a", "pod-1", 1_800_000_000_000L, false);
    private static final OperatorLedger.Start NOW = new OperatorLedger.Start("policy-b", "pod-2", 1_800_000_060_000L, false);

    /** The policies' ledgers are read by the time the first restart is asked for, not when the operator is built. */
    @Test
    void startsFromThePoliciesLedgersWhenFirstUsedAndOnlyThen() {
        AtomicInteger asked = new AtomicInteger();
        InMemoryOperatorLedgerStore store = new InMemoryOperatorLedgerStore(() -> {
            asked.incrementAndGet();
            return new OperatorLedger(List.of(EARLIER));
        });

        assertThat(store.known()).isEqualTo(OperatorLedger.EMPTY);
        assertThat(asked).hasValue(0);

        AtomicReference<OperatorLedger.Reservation> second = new AtomicReference<>();
        store.update(l -> second.updateAndGet(ignored -> l.reserve(NOW, 2)).ledger());
        OperatorLedger.Reservation third = store.update(UnaryOperator.identity())
                .reserve(new OperatorLedger.Start("policy-c", "pod-3", 1_800_000_060_000L, false), 2);

        assertThat(second.get().reserved()).isTrue();
        assertThat(store.known().starts()).containsExactly(EARLIER, NOW);
        assertThat(third.reserved()).as("the restart the first ledger held counts against the cap").isFalse();
        assertThat(asked).hasValue(1);
    }
}
