package dev.leakguard.engine;

import dev.leakguard.policy.ActionType;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;

/**
 * What to do after a pod's assessment, as a pure function of the assessment and what was already
 * done for the same container instance. Announcements happen once per container instance and level
 * (a verdict that wobbles between suspect and leaking does not repeat its Events); the profile
 * baseline is taken when suspicion starts, so that the profile taken on acting can be ranked by
 * growth; evidence is captured the first time a pod is leaking, even when only annotating.
 */
public final class Reactions {
    private Reactions() {
    }

    /** What has already been done for the current container instance. */
    public record Progress(boolean suspicionAnnounced, boolean oomAnnounced, boolean baselineTaken, boolean evidenceCaptured) {
        public static final Progress NONE = new Progress(false, false, false, false);
    }

    public record Plan(
            boolean announceSuspicion,
            boolean announceOom,
            boolean takeProfileBaseline,
            boolean captureEvidence,
            boolean requestRestart,
            Progress next) {
    }

    /**
     * @param restartDue the workload's {@link dev.leakguard.decide.RestartPlan} says this replica's restart must start
     *                   now, while its predicted OOM is still beyond its horizon: it is acted on as if it were leaking —
     *                   one assessment after its baseline profile was asked for, so that the Event can still name what
     *                   grew (the plan's margin, a third of the horizon, covers that interval)
     */
    public static Plan plan(Progress done, Assessment assessment, boolean restartDue, boolean profileConfigured, ActionType action) {
        Verdict verdict = assessment.verdict();
        boolean planDue = restartDue && verdict == Verdict.SUSPECT && (!profileConfigured || done.baselineTaken());
        boolean leaking = verdict == Verdict.LEAKING || planDue;
        boolean suspect = verdict == Verdict.SUSPECT && !leaking;
        boolean announceSuspicion = suspect && !done.suspicionAnnounced() && !done.oomAnnounced();
        boolean announceOom = leaking && !done.oomAnnounced();
        boolean takeBaseline = profileConfigured && (suspect || leaking) && !done.baselineTaken();
        boolean captureEvidence = leaking && !done.evidenceCaptured();
        boolean restart = leaking && action != ActionType.Annotate;
        Progress next = new Progress(done.suspicionAnnounced() || announceSuspicion, done.oomAnnounced() || announceOom,
                done.baselineTaken() || takeBaseline, done.evidenceCaptured() || captureEvidence);
        return new Plan(announceSuspicion, announceOom, takeBaseline, captureEvidence, restart, next);
    }
}
