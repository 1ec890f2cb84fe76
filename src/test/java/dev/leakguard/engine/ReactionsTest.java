package dev.leakguard.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.policy.ActionType;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import org.junit.jupiter.api.Test;

class ReactionsTest {
    @Test
    void suspicionIsAnnouncedOnceAndTakesABaseline() {
        Reactions.Plan first = Reactions.plan(Reactions.Progress.NONE, assessment(Verdict.SUSPECT), false, true, ActionType.Evict);
        assertThat(first.announceSuspicion()).isTrue();
        assertThat(first.takeProfileBaseline()).isTrue();
        assertThat(first.requestRestart()).isFalse();
        Reactions.Plan again = Reactions.plan(first.next(), assessment(Verdict.SUSPECT), false, true, ActionType.Evict);
        assertThat(again.announceSuspicion()).isFalse();
        assertThat(again.takeProfileBaseline()).isFalse();
    }

    @Test
    void leakingAnnouncesOomOnceCapturesEvidenceOnceAndRequestsRestartEachTime() {
        Reactions.Plan first = Reactions.plan(Reactions.Progress.NONE, assessment(Verdict.LEAKING), false, false, ActionType.Evict);
        assertThat(first.announceOom()).isTrue();
        assertThat(first.captureEvidence()).isTrue();
        assertThat(first.requestRestart()).isTrue();
        assertThat(first.takeProfileBaseline()).isFalse();
        Reactions.Plan wobble = Reactions.plan(first.next(), assessment(Verdict.SUSPECT), false, false, ActionType.Evict);
        assertThat(wobble.announceSuspicion()).as("no step back to a milder announcement").isFalse();
        Reactions.Plan back = Reactions.plan(wobble.next(), assessment(Verdict.LEAKING), false, false, ActionType.Evict);
        assertThat(back.announceOom()).isFalse();
        assertThat(back.captureEvidence()).isFalse();
        assertThat(back.requestRestart()).isTrue();
    }

    @Test
    void annotateOnlyNeverRequestsARestartButStillKeepsEvidence() {
        Reactions.Plan plan = Reactions.plan(Reactions.Progress.NONE, assessment(Verdict.LEAKING), false, true, ActionType.Annotate);
        assertThat(plan.requestRestart()).isFalse();
        assertThat(plan.captureEvidence()).isTrue();
        assertThat(plan.announceOom()).isTrue();
    }

    @Test
    void aReplicaThePlanWantsRestartedEarlyFirstHasItsBaselineTakenThenIsActedOnAtTheNextAssessment() {
        Reactions.Plan first = Reactions.plan(Reactions.Progress.NONE, assessment(Verdict.SUSPECT), true, true, ActionType.Evict);
        assertThat(first.takeProfileBaseline()).as("the baseline the Event's growth is ranked against").isTrue();
        assertThat(first.announceOom() || first.captureEvidence() || first.requestRestart()).isFalse();
        Reactions.Plan next = Reactions.plan(first.next(), assessment(Verdict.SUSPECT), true, true, ActionType.Evict);
        assertThat(next.announceOom()).isTrue();
        assertThat(next.captureEvidence()).isTrue();
        assertThat(next.requestRestart()).isTrue();

        Reactions.Plan withoutProfile = Reactions.plan(Reactions.Progress.NONE, assessment(Verdict.SUSPECT), true, false, ActionType.Evict);
        assertThat(withoutProfile.requestRestart()).as("nothing to wait for without a profile").isTrue();
    }

    @Test
    void healthyAndWarmingUpPodsCauseNothing() {
        for (Verdict verdict : new Verdict[] {Verdict.HEALTHY, Verdict.INSUFFICIENT_DATA}) {
            Reactions.Plan plan = Reactions.plan(Reactions.Progress.NONE, assessment(verdict), false, true, ActionType.Evict);
            assertThat(plan.announceSuspicion() || plan.announceOom() || plan.takeProfileBaseline() || plan.captureEvidence()
                    || plan.requestRestart()).as(verdict.name()).isFalse();
        }
    }

    private static Assessment assessment(Verdict verdict) {
        return new Assessment(verdict, 4e8, 5.36e8, 1e5, 100, 0.5, 600, 500, 0.9, 0.001, 100, "test");
    }
}
