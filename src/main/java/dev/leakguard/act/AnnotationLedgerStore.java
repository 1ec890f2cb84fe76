package dev.leakguard.act;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.LedgerEntry;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.engine.PolicyRef;
import dev.leakguard.kube.Pods;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger as the JSON annotation {@value #LEDGER_ANNOTATION} on the LeakPolicy itself: it lives
 * and dies with the policy and needs no other object or permission. Writes are a merge patch that
 * carries the resourceVersion the ledger was read at, so the API server refuses (409) a write over
 * somebody else's; the change is then applied again to a fresh read.
 */
public final class AnnotationLedgerStore implements LedgerStore {
    private static final Logger log = LoggerFactory.getLogger(AnnotationLedgerStore.class);
    public static final String LEDGER_ANNOTATION = "leakguard.dev/restart-ledger";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final Map<String, RestartLedger> known = new ConcurrentHashMap<>();

    public AnnotationLedgerStore(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public LedgerWrite update(PolicyRef policy, UnaryOperator<RestartLedger> change) {
        return ConflictRetry.untilWritten("ledger of " + policy.namespace() + "/" + policy.name(), () -> {
            LeakPolicy current = client.resources(LeakPolicy.class).inNamespace(policy.namespace()).withName(policy.name()).get();
            if (current == null) {
                throw new KubernetesClientException("LeakPolicy " + policy.namespace() + "/" + policy.name() + " is gone",
                        HttpURLConnection.HTTP_NOT_FOUND, null);
            }
            RestartLedger before = ledgerOf(current);
            known.put(current.getMetadata().getUid(), before); // just read from the API server: the truth
            RestartLedger after = change.apply(before);
            if (after.equals(before)) {
                return new LedgerWrite(before, after);
            }
            ObjectNode patch = JSON.createObjectNode();
            ObjectNode metadata = patch.putObject("metadata");
            metadata.put("resourceVersion", current.getMetadata().getResourceVersion());
            metadata.putObject("annotations").put(LEDGER_ANNOTATION, LedgerCodec.write(after));
            client.resources(LeakPolicy.class).inNamespace(policy.namespace()).withName(policy.name())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
            known.put(current.getMetadata().getUid(), after);
            return new LedgerWrite(before, after);
        });
    }

    @Override
    public Map<String, RestartLedger> known() {
        return Map.copyOf(known);
    }

    @Override
    public PolicyScore score(LeakPolicy policy) {
        RestartLedger best = known.merge(policy.getMetadata().getUid(), ledgerOf(policy), AnnotationLedgerStore::newer);
        int statusRestarts = 0;
        int statusMisses = 0;
        if (policy.getStatus() != null) {
            statusRestarts = Objects.requireNonNullElse(policy.getStatus().getRestarts(), 0);
            statusMisses = Objects.requireNonNullElse(policy.getStatus().getOomKillsMissed(), 0);
        }
        return new PolicyScore(Math.max(best.restarts(), statusRestarts), Math.max(best.oomKillsMissed(), statusMisses));
    }

    private static RestartLedger ledgerOf(LeakPolicy policy) {
        try {
            return LedgerCodec.read(Pods.annotation(policy, LEDGER_ANNOTATION));
        } catch (IllegalArgumentException e) {
            log.warn("LeakPolicy {}/{}: {}; starting a new ledger", policy.getMetadata().getNamespace(),
                    policy.getMetadata().getName(), e.getMessage());
            return RestartLedger.EMPTY;
        }
    }

    /** The more recent of two copies of one policy's ledger (the informer's copy may lag behind ours). */
    private static RestartLedger newer(RestartLedger a, RestartLedger b) {
        long lastA = a.entries().stream().mapToLong(LedgerEntry::atMillis).max().orElse(Long.MIN_VALUE);
        long lastB = b.entries().stream().mapToLong(LedgerEntry::atMillis).max().orElse(Long.MIN_VALUE);
        if (lastA != lastB) {
            return lastA > lastB ? a : b;
        }
        return a.restarts() + a.oomKillsMissed() >= b.restarts() + b.oomKillsMissed() ? a : b;
    }
}
