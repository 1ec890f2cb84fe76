package dev.leakguard.engine;

import static dev.leakguard.engine.EngineFixture.INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.decide.EventReason;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.policy.ActionType;
import dev.leakguard.trend.Verdict;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The per-pod loop alone: readings in, requests to act out through the engine's ports, on a
 * manual clock. Actions run when the test runs them ({@link TestingPodActions}).
 */
class PodPipelineTest {
    private final TestingPodActions actions = new TestingPodActions();
    private final EngineFixture engine = new EngineFixture(actions);

    @Test
    void aLeakIsSuspectedThenProfiledEvidencedAnnouncedAndRestartedInThatOrder() {
        engine.profiles.serve(EngineFixture.profile(10));
        engine.profiles.serve(EngineFixture.profile(500));
        EngineFixture.LeakingPod pod = engine.pod(EngineFixture.policy(ActionType.Evict), "checkout-0");

        engine.readUntil(Verdict.LEAKING, actions::runAll, pod);

        List<String> calls = engine.log.calls();
        assertThat(calls).filteredOn(c -> !c.startsWith("annotate")).map(c -> c.replaceAll(" because .*", "")).containsExactly(
                "event LeakSuspected pod/checkout-0",
                "profile 10.0.0." + ("checkout-0".hashCode() & 0xff),
                "profile 10.0.0." + ("checkout-0".hashCode() & 0xff),
                "evidence checkout-0",
                "event OOMPredicted pod/checkout-0",
                "event OOMPredicted leakpolicy/go-services",
                "restart checkout-0");
        assertThat(engine.events.with(EventReason.OOMPredicted)).allSatisfy(e -> assertThat(e.message())
                .contains("Memory limit 512Mi (container spec) predicted in", "Action: Evict.", "Evidence: configmap/leakguard-evidence-checkout-0.",
                        "go_goroutines", "Top growing: +490 goroutines gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper"));
        assertThat(engine.restarter.requested()).containsExactly("checkout-0");
        assertThat(engine.log.startingWith("restart").get(0)).contains("top: +490 goroutines");
        assertThat(engine.evidence.kept()).singleElement().satisfies(kept -> {
            assertThat(kept.summary()).contains("predicted to reach its memory limit", "Top groups:", "(*ConnPool).reaper");
            assertThat(kept.profile().ok()).isTrue();
            assertThat(kept.capturedAt()).isEqualTo(engine.clock.instant());
        });
        assertThat(engine.annotations.of(pod.state.target().pod()))
                .containsEntry(PodAnnotations.VERDICT, "leaking")
                .containsEntry(PodAnnotations.EVIDENCE, "leakguard-evidence-checkout-0");
        assertThat(engine.verdictChanges).isNotEmpty().allSatisfy(k -> assertThat(k).isEqualTo(new PolicyKey("shop", "go-services")));
    }

    @Test
    void theProfileBaselineIsTakenOnceWhenSuspicionStarts() {
        engine.profiles.serve(EngineFixture.profile(10));
        EngineFixture.LeakingPod pod = engine.pod(EngineFixture.policy(ActionType.Evict), "checkout-0");

        engine.readUntil(Verdict.SUSPECT, actions::runAll, pod);
        assertThat(engine.log.startingWith("profile")).hasSize(1);
        engine.readAgain(pod, actions::runAll);
        engine.readAgain(pod, actions::runAll);

        assertThat(pod.verdict()).isEqualTo(Verdict.SUSPECT);
        assertThat(engine.log.startingWith("profile")).as("one baseline per container instance").hasSize(1);
        assertThat(engine.events.with(EventReason.LeakSuspected)).as("announced once").hasSize(1);
    }

    @Test
    void theRestartIsRequestedOnceAndAskedAgainOnlyAfterFourIntervals() {
        EngineFixture.LeakingPod pod = engine.pod(EngineFixture.policy(ActionType.Evict), "checkout-0");
        engine.readUntil(Verdict.LEAKING, actions::runAll, pod);
        assertThat(engine.restarter.requested()).hasSize(1);

        for (int i = 1; i < PodPipeline.RESTART_RETRY_INTERVALS; i++) {
            engine.readAgain(pod, actions::runAll);
        }
        assertThat(engine.restarter.requested()).as("a blocked restart is not asked at every scrape").hasSize(1);
        engine.readAgain(pod, actions::runAll);

        assertThat(pod.verdict()).isEqualTo(Verdict.LEAKING);
        assertThat(engine.restarter.requested()).hasSize(2);
        assertThat(engine.events.with(EventReason.OOMPredicted)).as("announced once per container instance").hasSize(2);
        assertThat(engine.evidence.kept()).hasSize(1);
    }

    @Test
    void anUnreadableEndpointIsUnknownAndNeverActedOn() {
        EngineFixture.LeakingPod quiet = engine.pod(EngineFixture.policy(ActionType.Evict), "never-read");
        EngineFixture.LeakingPod leaking = engine.pod(EngineFixture.policy(ActionType.Evict), "checkout-0");
        engine.readUntil(Verdict.SUSPECT, actions::runAll, leaking);

        for (int i = 0; i < 100; i++) {
            engine.clock.advance(INTERVAL);
            quiet.failRead();
            leaking.failRead();
            actions.runAll();
        }

        assertThat(quiet.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(quiet.state.view().scrapeError()).isEqualTo("connection refused");
        assertThat(leaking.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(engine.restarter.requested()).isEmpty();
        assertThat(engine.evidence.kept()).isEmpty();
        assertThat(engine.events.all()).extracting(TestingEvents.Recorded::reason).containsOnly(EventReason.LeakSuspected);
        assertThat(engine.annotations.of(quiet.state.target().pod())).as("a pod never suspect gets no annotations").isEmpty();
        assertThat(engine.annotations.of(leaking.state.target().pod())).containsEntry(PodAnnotations.VERDICT, "unknown");
    }

    @Test
    void annotationWritesCoalesceWhileTheApiServerIsSlow() {
        EngineFixture.LeakingPod pod = engine.pod(EngineFixture.policy(ActionType.Annotate), "checkout-0");
        engine.readUntil(Verdict.SUSPECT, () -> { }, pod);
        engine.readUntil(Verdict.LEAKING, () -> { }, pod);
        for (int i = 0; i < 10; i++) {
            engine.readAgain(pod, () -> { });
        }
        assertThat(actions.waiting()).as("one annotation write and one act wait, not one per reading").isEqualTo(2);

        actions.runAll();

        List<Map<String, String>> verdictWrites = engine.annotations.writes().stream()
                .filter(w -> w.containsKey(PodAnnotations.VERDICT)).toList();
        assertThat(verdictWrites).singleElement().satisfies(w -> assertThat(w).containsEntry(PodAnnotations.VERDICT, "leaking"));
    }

    @Test
    void annotateOnlyPoliciesAnnounceAndKeepEvidenceButNeverAskTheDoor() {
        EngineFixture.LeakingPod pod = engine.pod(EngineFixture.policy(ActionType.Annotate), "checkout-0");

        engine.readUntil(Verdict.LEAKING, actions::runAll, pod);
        for (int i = 0; i < 2 * PodPipeline.RESTART_RETRY_INTERVALS; i++) {
            engine.readAgain(pod, actions::runAll);
        }

        assertThat(engine.evidence.kept()).hasSize(1);
        assertThat(engine.events.with(EventReason.OOMPredicted)).hasSize(2)
                .allSatisfy(e -> assertThat(e.message()).contains("Action: Annotate."));
        assertThat(engine.restarter.requested()).isEmpty();
    }

    @Test
    void aNewContainerInstanceStartsItsStoryAfresh() {
        EngineFixture.LeakingPod pod = engine.pod(EngineFixture.policy(ActionType.Annotate), "checkout-0");
        engine.readUntil(Verdict.LEAKING, actions::runAll, pod);
        ScrapeTarget old = pod.state.target();

        pod.state.refresh(new ScrapeTarget(old.pod(), old.podUid(), old.container(), old.metricsUri(), old.profileUri(),
                old.memoryLimitBytes(), old.limitSource(), engine.clock.millis(), old.restartCount() + 1));
        EngineFixture.LeakingPod sameState = engine.new LeakingPod(pod.policy, pod.state, engine.clock.millis());
        engine.readUntil(Verdict.LEAKING, actions::runAll, sameState);

        assertThat(engine.events.with(EventReason.LeakSuspected)).as("announced again for the new container").hasSize(2);
        assertThat(engine.events.with(EventReason.OOMPredicted)).hasSize(4);
    }
}
