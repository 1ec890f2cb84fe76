package dev.leakguard.decide;

/**
 * Why a restart did not happen. The first ten are the rules of the door in the order they are
 * checked; the rest come from the cluster while acting. {@link #id()} is stable: it appears in
 * Events and outcomes and may be matched by alerts.
 */
public enum BlockRule {
    EXCLUDED("excluded"),
    NOT_READY("not-ready"),
    TERMINATING("terminating"),
    ALREADY_REQUESTED("already-requested"),
    NO_CONTROLLER("no-controller"),
    MAX_CONCURRENT("max-concurrent"),
    PLAN_ORDER("plan-order"),
    COOLDOWN("cooldown"),
    POLICY_BUDGET("policy-budget"),
    OPERATOR_BUDGET("operator-budget"),
    /**
     * A rollout restart would not replace the pod (paused, OnDelete, partition) and evicting it instead would
     * leave its workload, whose rollout would have surged, without a Ready pod. Checked after the others, with the strategy.
     */
    WONT_ROLL("wont-roll"),
    /** The pod was already gone when the door re-read it. */
    POD_GONE("pod-gone"),
    /** The API server refused the eviction (HTTP 429 with a DisruptionBudget cause): a PodDisruptionBudget, never bypassed. */
    DISRUPTION_BUDGET("disruption-budget"),
    /** The API server shed the eviction (HTTP 429 without a budget cause: API Priority and Fairness). */
    THROTTLED("throttled"),
    /** The pod matches more than one PodDisruptionBudget, so the API server refuses to evict it (HTTP 500). */
    PDB_MISCONFIGURED("pdb-misconfigured");

    private final String id;

    BlockRule(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
