package dev.leakguard.act;

import dev.leakguard.decide.OperatorLedger;
import java.util.function.UnaryOperator;

/**
 * Where the {@link OperatorLedger} lives: one copy for all replicas, written like a policy's {@link LedgerStore}
 * (a change is applied to the ledger as stored and written back only if nobody wrote in between, otherwise applied
 * again to the newer ledger), so that the operator-wide cap holds exactly across replicas and shards.
 */
public interface OperatorLedgerStore {

    /**
     * Applies {@code change} to the stored ledger and stores the result when it differs; returns the ledger as it now
     * is. {@code change} may run more than once and sees the newest ledger each time. An identity change only reads.
     *
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the ledger cannot be read or written, or
     *         other writers keep winning
     */
    OperatorLedger update(UnaryOperator<OperatorLedger> change);

    /** The newest copy this store has read or written, without asking the API server; it may lag behind other writers. */
    OperatorLedger known();
}
