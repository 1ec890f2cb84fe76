package dev.leakguard.act;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.engine.PolicyRef;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Where each policy's {@link RestartLedger} lives, so that every instance (a new leader, an
 * operator restarted mid-eviction) reads the same restarts, cooldowns and counted OOM kills.
 * Writers never hold a lock: a change is applied to the ledger as stored and written back only if
 * nobody wrote in between; otherwise it is applied again to the newer ledger.
 */
public interface LedgerStore {

    /** The ledger before and after a change; equal when the change changed nothing and nothing was written. */
    record LedgerWrite(RestartLedger before, RestartLedger after) {
    }

    /**
     * Applies {@code change} to the policy's stored ledger and stores the result when it differs.
     * {@code change} may run more than once (once per conflicting writer) and sees the newest ledger
     * each time; the last run's result is the one stored.
     *
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the ledger cannot be read or
     *         written (404 when the policy is gone), or other writers keep winning
     */
    LedgerWrite update(PolicyRef policy, UnaryOperator<RestartLedger> change);

    /**
     * The newest copy of each policy's ledger this store has seen, by policy uid: the measured restart paces, and
     * where the operator-wide ledger starts from when there is none yet ({@link dev.leakguard.decide.OperatorLedger#startingFrom}).
     */
    Map<String, RestartLedger> known();

    /** Restarts done and OOM kills missed for the policy's status, from {@code policy} as the informer has it or a newer copy. */
    PolicyScore score(LeakPolicy policy);
}
