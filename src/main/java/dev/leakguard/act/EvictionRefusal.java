package dev.leakguard.act;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.utils.Serialization;
import dev.leakguard.text.BoundedText;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Optional;

/**
 * An eviction the API server refused for a reason that says nothing happened, read from its answer
 * (HTTP code, {@code Status.reason}, {@code details.causes}, {@code Retry-After}) rather than from
 * fabric8's {@code evict()}, which answers false for every 429:
 * <ul>
 *   <li>{@link Kind#PDB_BLOCKED} — 429 with a {@code DisruptionBudget} cause: a PodDisruptionBudget allows
 *       no disruption now;</li>
 *   <li>{@link Kind#THROTTLED} — 429 without one: API Priority and Fairness (or another limiter) shed the
 *       request; its {@code Retry-After} is honoured;</li>
 *   <li>{@link Kind#PDB_MISCONFIGURED} — 500 because the pod matches more than one PodDisruptionBudget, which
 *       the eviction subresource refuses until the budgets are fixed.</li>
 * </ul>
 *
 * @param message          the server's own words, bounded
 * @param retryAfterMillis the server's {@code Retry-After} (or {@code details.retryAfterSeconds}), 0 when none
 */
record EvictionRefusal(Kind kind, int code, String message, long retryAfterMillis) {
    /** What the real kube-apiserver says (pkg/registry/core/pod/storage/eviction.go) for a pod under two budgets. */
    static final String MULTIPLE_BUDGETS = "more than one PodDisruptionBudget";
    private static final String DISRUPTION_BUDGET_CAUSE = "DisruptionBudget";
    private static final int MAX_MESSAGE_BYTES = 512;

    enum Kind {
        PDB_BLOCKED, THROTTLED, PDB_MISCONFIGURED
    }

    /**
     * The refusal in an error answer, or empty when the answer is not one of these (then the caller
     * cannot tell whether the eviction happened and must look).
     */
    static Optional<EvictionRefusal> of(int code, String body, String retryAfterHeader) {
        Status status = parse(body);
        String message = status != null && status.getMessage() != null ? status.getMessage() : body == null ? "" : body.strip();
        message = BoundedText.bounded(message, MAX_MESSAGE_BYTES);
        if (code == 429) {
            List<StatusCause> causes = status == null || status.getDetails() == null || status.getDetails().getCauses() == null
                    ? List.of() : status.getDetails().getCauses();
            Optional<StatusCause> budget = causes.stream().filter(c -> DISRUPTION_BUDGET_CAUSE.equals(c.getReason())).findFirst();
            if (budget.isPresent()) {
                String detail = budget.get().getMessage() == null ? message : BoundedText.bounded(budget.get().getMessage(), MAX_MESSAGE_BYTES);
                return Optional.of(new EvictionRefusal(Kind.PDB_BLOCKED, code, detail, retryAfterMillis(status, retryAfterHeader)));
            }
            return Optional.of(new EvictionRefusal(Kind.THROTTLED, code, message, retryAfterMillis(status, retryAfterHeader)));
        }
        if (code == HttpURLConnection.HTTP_INTERNAL_ERROR && message.contains(MULTIPLE_BUDGETS)) {
            return Optional.of(new EvictionRefusal(Kind.PDB_MISCONFIGURED, code, message, retryAfterMillis(status, retryAfterHeader)));
        }
        return Optional.empty();
    }

    /** The answer's body as a Status, or null when it is not one (API Priority and Fairness may answer in plain text). */
    static Status parse(String body) {
        if (body == null || !body.stripLeading().startsWith("{")) {
            return null;
        }
        try {
            Status status = Serialization.unmarshal(body, Status.class);
            return "Status".equals(status.getKind()) ? status : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static long retryAfterMillis(Status status, String header) {
        if (header != null) {
            try {
                return Math.max(0, Long.parseLong(header.strip())) * 1000;
            } catch (NumberFormatException e) {
                // An HTTP-date: the API server never sends one; fall through to the Status.
            }
        }
        if (status != null && status.getDetails() != null && status.getDetails().getRetryAfterSeconds() != null) {
            return Math.max(0, status.getDetails().getRetryAfterSeconds()) * 1000L;
        }
        return 0;
    }
}
