package dev.leakguard.act;

import dev.leakguard.decide.OperatorLedger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The operator-wide ledger of an operator that runs alone, without leader election or shards (and so without a
 * namespace of its own to keep a Lease in): its action threads are the only writers. It starts, when first used,
 * from the policies' ledgers, which outlive the process.
 */
public final class InMemoryOperatorLedgerStore implements OperatorLedgerStore {
    private final Supplier<OperatorLedger> firstLedger;
    /** Null until first used, so that the policies' ledgers have been read by then. */
    private OperatorLedger ledger;

    public InMemoryOperatorLedgerStore(Supplier<OperatorLedger> firstLedger) {
        this.firstLedger = firstLedger;
    }

    @Override
    public synchronized OperatorLedger update(UnaryOperator<OperatorLedger> change) {
        ledger = change.apply(ledger == null ? firstLedger.get() : ledger);
        return ledger;
    }

    @Override
    public synchronized OperatorLedger known() {
        return ledger == null ? OperatorLedger.EMPTY : ledger;
    }
}
