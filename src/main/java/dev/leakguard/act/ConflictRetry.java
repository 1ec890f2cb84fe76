package dev.leakguard.act;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optimistic-concurrency loop of the ledgers ({@link AnnotationLedgerStore}, {@link LeaseOperatorLedgerStore}): a
 * round reads the object, applies the change and writes it back carrying the resourceVersion it read; the API server
 * refuses (409) a write over somebody else's, and the round runs again on a fresh read.
 */
final class ConflictRetry {
    private static final Logger log = LoggerFactory.getLogger(ConflictRetry.class);

    /**
     * Every conflicting round has a winner, so W writers at once need at most W attempts: with shards, the two action
     * threads of each of several replicas can write one ledger in the same instant (LedgerConflictsTest: 6 writers
     * gave up on half their writes with 3 attempts). A writer that still loses gives up with the 409.
     */
    static final int WRITE_ATTEMPTS = 8;

    private ConflictRetry() {
    }

    /**
     * Runs {@code round} until it returns without a 409, at most {@value #WRITE_ATTEMPTS} times.
     *
     * @throws KubernetesClientException any other error of a round, or the last 409
     */
    static <T> T untilWritten(String what, Supplier<T> round) {
        for (int attempt = 1; ; attempt++) {
            try {
                return round.get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt >= WRITE_ATTEMPTS) {
                    throw e;
                }
                log.debug("{} changed meanwhile; applying the change again", what);
            }
        }
    }
}
