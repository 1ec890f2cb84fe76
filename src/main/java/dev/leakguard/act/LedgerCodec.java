package dev.leakguard.act;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.leakguard.decide.LedgerEntry;
import dev.leakguard.decide.RestartLedger;
import dev.leakguard.decide.RestartPace;
import dev.leakguard.decide.RestartStrategy;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The restart ledger as the JSON text of the {@code leakguard.dev/restart-ledger} annotation. */
final class LedgerCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LedgerCodec() {
    }

    static String write(RestartLedger ledger) {
        ObjectNode root = JSON.createObjectNode();
        root.put("restarts", ledger.restarts());
        root.put("oomKillsMissed", ledger.oomKillsMissed());
        ArrayNode recent = root.putArray("recent");
        for (LedgerEntry e : ledger.entries()) {
            ObjectNode node = recent.addObject();
            node.put("pod", e.pod());
            node.put("podUid", e.podUid());
            node.put("workload", e.workload());
            node.put("ownerKind", e.ownerKind());
            node.put("ownerName", e.ownerName());
            node.put("ownerUid", e.ownerUid());
            node.put("strategy", e.strategy().name());
            node.put("at", Instant.ofEpochMilli(e.atMillis()).toString());
            node.put("readyBefore", e.readyBefore());
            if (e.restartedAt() != null) {
                node.put("restartedAt", e.restartedAt());
            }
            if (e.dryRun()) {
                node.put("dryRun", true);
            }
        }
        ArrayNode seen = root.putArray("oomKillsSeen");
        ledger.oomKillsSeen().forEach(seen::add);
        ObjectNode paces = root.putObject("paces");
        ledger.paces().forEach((workload, pace) -> paces.putObject(workload)
                .put("replacementReady", pace.replacementReady().toString())
                .put("budgetAllows", pace.budgetAllows())
                .put("measuredAt", pace.measuredAtMillis() < 0 ? null : Instant.ofEpochMilli(pace.measuredAtMillis()).toString()));
        return root.toString();
    }

    /** @throws IllegalArgumentException when the text is not a ledger (somebody edited the annotation) */
    static RestartLedger read(String text) {
        if (text == null || text.isBlank()) {
            return RestartLedger.EMPTY;
        }
        try {
            JsonNode root = JSON.readTree(text);
            List<LedgerEntry> entries = new ArrayList<>();
            for (JsonNode n : root.path("recent")) {
                entries.add(new LedgerEntry(
                        required(n, "pod"), required(n, "podUid"), required(n, "workload"),
                        required(n, "ownerKind"), required(n, "ownerName"), required(n, "ownerUid"),
                        RestartStrategy.valueOf(required(n, "strategy")),
                        Instant.parse(required(n, "at")).toEpochMilli(),
                        n.path("readyBefore").asInt(1),
                        n.hasNonNull("restartedAt") ? n.get("restartedAt").asText() : null,
                        n.path("dryRun").asBoolean(false)));
            }
            List<String> seen = new ArrayList<>();
            root.path("oomKillsSeen").forEach(s -> seen.add(s.asText()));
            Map<String, RestartPace> paces = new HashMap<>();
            root.path("paces").fields().forEachRemaining(p -> paces.put(p.getKey(), new RestartPace(
                    Duration.parse(required(p.getValue(), "replacementReady")), p.getValue().path("budgetAllows").asInt(1),
                    p.getValue().hasNonNull("measuredAt") ? Instant.parse(p.getValue().get("measuredAt").asText()).toEpochMilli() : -1)));
            return new RestartLedger(root.path("restarts").asInt(0), root.path("oomKillsMissed").asInt(0), entries, seen, paces);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable restart ledger: " + e.getMessage(), e);
        }
    }

    private static String required(JsonNode node, String field) {
        if (!node.hasNonNull(field)) {
            throw new IllegalArgumentException("ledger entry without " + field);
        }
        return node.get(field).asText();
    }
}
