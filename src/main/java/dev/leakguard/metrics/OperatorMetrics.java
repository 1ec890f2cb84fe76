package dev.leakguard.metrics;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;

/**
 * What the rest of the operator reports about itself. The Micrometer-backed implementation turns
 * these calls into the {@code leakguard_*} series documented in the README; tests and the
 * {@code analyze} command can use {@link #NONE}.
 */
public interface OperatorMetrics {
    /** {@code result} is a stable lower_snake word: success, connection, timeout, http_status, redirect, too_large, bad_encoding, parse_error. */
    void scrape(String namespace, String policy, String result, long durationNanos);

    /** Sample-to-decision latency: from a reading's body being complete to its assessment and reaction plan being done. */
    void decision(String namespace, String policy, long durationNanos);

    /**
     * One reconcile of a policy: how often they run and what each costs. {@code podsListed}: it listed and resolved the
     * policy's pods (work that grows with them); false when they had not changed since the last one (only status was built).
     */
    void reconcile(String namespace, String policy, boolean podsListed, long durationNanos);

    /**
     * {@code type}: annotate, evict, rollout_restart; {@code result}: done, dry_run, blocked, failed, or for an
     * eviction the API server refused: pdb_blocked, throttled, pdb_misconfigured.
     */
    void action(String namespace, String policy, String type, String result);

    void event(String reason, String type, boolean delivered);

    void oomKillMissed(String namespace, String policy);

    void restartLoop(String namespace, String policy);

    /** {@code verdict} is the effective one: UNKNOWN when the last scrape failed, whatever the assessment says. */
    void pod(String namespace, String pod, String policy, Verdict verdict, Assessment assessment);

    void forgetPod(String namespace, String pod, String policy);

    void policy(String namespace, String policy, int watched, int leaking, boolean ready);

    void forgetPolicy(String namespace, String policy);

    /** Seconds until the first restart of the workload's restart plan must start (negative: overdue). */
    void restartPlan(String namespace, String policy, String workload, double secondsToFirstStart);

    /** The workload has no replica heading for its limit any more. */
    void forgetRestartPlan(String namespace, String policy, String workload);

    OperatorMetrics NONE = new OperatorMetrics() {
        @Override public void scrape(String namespace, String policy, String result, long durationNanos) { }
        @Override public void decision(String namespace, String policy, long durationNanos) { }
        @Override public void reconcile(String namespace, String policy, boolean podsListed, long durationNanos) { }
        @Override public void action(String namespace, String policy, String type, String result) { }
        @Override public void event(String reason, String type, boolean delivered) { }
        @Override public void oomKillMissed(String namespace, String policy) { }
        @Override public void restartLoop(String namespace, String policy) { }
        @Override public void pod(String namespace, String pod, String policy, Verdict verdict, Assessment assessment) { }
        @Override public void forgetPod(String namespace, String pod, String policy) { }
        @Override public void policy(String namespace, String policy, int watched, int leaking, boolean ready) { }
        @Override public void forgetPolicy(String namespace, String policy) { }
        @Override public void restartPlan(String namespace, String policy, String workload, double secondsToFirstStart) { }
        @Override public void forgetRestartPlan(String namespace, String policy, String workload) { }
    };
}
