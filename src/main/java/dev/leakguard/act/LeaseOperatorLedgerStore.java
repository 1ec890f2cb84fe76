package dev.leakguard.act;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.leakguard.decide.OperatorLedger;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator-wide ledger as the JSON annotation {@value #LEDGER_ANNOTATION} on a Lease in the operator's namespace
 * ({@link ObjectNames#OPERATOR_LEDGER}): next to the leader-election and shard Leases, with the same rights (get,
 * create, update), and it outlives every replica. Writes are an update carrying the resourceVersion the ledger was
 * read at, so the API server refuses (409) a write over somebody else's; the change is then applied again to a fresh
 * read. The Lease's spec is not used: nobody holds it.
 */
public final class LeaseOperatorLedgerStore implements OperatorLedgerStore {
    private static final Logger log = LoggerFactory.getLogger(LeaseOperatorLedgerStore.class);
    public static final String LEDGER_ANNOTATION = "leakguard.dev/operator-restarts";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final Supplier<OperatorLedger> firstLedger;
    private volatile OperatorLedger known = OperatorLedger.EMPTY;

    /**
     * @param firstLedger what the ledger starts from when the Lease does not exist yet (see
     *                    {@link OperatorLedger#startingFrom}); asked only then, and the Lease is created from it by the
     *                    first call, whatever the change
     */
    public LeaseOperatorLedgerStore(KubernetesClient client, String namespace, String name, Supplier<OperatorLedger> firstLedger) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.firstLedger = firstLedger;
    }

    @Override
    public OperatorLedger update(UnaryOperator<OperatorLedger> change) {
        return ConflictRetry.untilWritten("operator-wide ledger " + namespace + "/" + name, () -> {
            Lease current = client.leases().inNamespace(namespace).withName(name).get();
            OperatorLedger before = current == null ? firstLedger.get() : ledgerOf(current);
            known = before;
            OperatorLedger after = change.apply(before);
            if (after.equals(before) && current != null) {
                return before;
            }
            // A create refused with 409 is another replica creating it first: retried like an update over somebody else's.
            if (current == null) {
                client.leases().inNamespace(namespace).resource(new LeaseBuilder().withNewMetadata().withName(name)
                        .withNamespace(namespace).addToLabels("app.kubernetes.io/name", "leakguard")
                        .addToAnnotations(LEDGER_ANNOTATION, write(after)).endMetadata().withNewSpec().endSpec().build()).create();
            } else {
                Lease next = new LeaseBuilder(current).build();
                Map<String, String> annotations = new LinkedHashMap<>(Objects.requireNonNullElse(next.getMetadata().getAnnotations(), Map.of()));
                annotations.put(LEDGER_ANNOTATION, write(after));
                next.getMetadata().setAnnotations(annotations);
                client.leases().inNamespace(namespace).resource(next).update();
            }
            known = after;
            return after;
        });
    }

    @Override
    public OperatorLedger known() {
        return known;
    }

    private OperatorLedger ledgerOf(Lease lease) {
        String text = lease.getMetadata().getAnnotations() == null ? null : lease.getMetadata().getAnnotations().get(LEDGER_ANNOTATION);
        try {
            return read(text);
        } catch (IllegalArgumentException e) {
            // Somebody edited it: starting again from the policies' ledgers loses no restart they hold.
            log.warn("Lease {}/{}: {}; starting the operator-wide ledger again from the policies' ledgers", namespace, name, e.getMessage());
            return firstLedger.get();
        }
    }

    static String write(OperatorLedger ledger) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode starts = root.putArray("starts");
        for (OperatorLedger.Start s : ledger.starts()) {
            ObjectNode node = starts.addObject().put("policyUid", s.policyUid()).put("podUid", s.podUid())
                    .put("at", Instant.ofEpochMilli(s.atMillis()).toString());
            if (s.dryRun()) {
                node.put("dryRun", true);
            }
        }
        return root.toString();
    }

    /** @throws IllegalArgumentException when the text is not an operator-wide ledger */
    static OperatorLedger read(String text) {
        if (text == null || text.isBlank()) {
            return OperatorLedger.EMPTY;
        }
        try {
            List<OperatorLedger.Start> starts = new ArrayList<>();
            for (JsonNode n : JSON.readTree(text).path("starts")) {
                if (!n.hasNonNull("policyUid") || !n.hasNonNull("podUid") || !n.hasNonNull("at")) {
                    throw new IllegalArgumentException("a start without policyUid, podUid or at: " + n);
                }
                starts.add(new OperatorLedger.Start(n.get("policyUid").asText(), n.get("podUid").asText(),
                        Instant.parse(n.get("at").asText()).toEpochMilli(), n.path("dryRun").asBoolean(false)));
            }
            return new OperatorLedger(starts);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable operator-wide restart ledger: " + e.getMessage(), e);
        }
    }
}
