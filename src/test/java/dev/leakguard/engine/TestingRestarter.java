package dev.leakguard.engine;

import dev.leakguard.decide.RestartOutcome;
import dev.leakguard.decide.RestartPace;
import dev.leakguard.decide.RestartPlan;
import dev.leakguard.decide.RestartStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Records restart requests and answers "done"; {@link #holdUntilReleased()} makes it a slow API server. */
final class TestingRestarter implements Restarter {
    private final List<String> requested = new ArrayList<>();
    private final CallLog log;
    private volatile CountDownLatch gate = new CountDownLatch(0);

    TestingRestarter(CallLog log) {
        this.log = log;
    }

    void holdUntilReleased() {
        gate = new CountDownLatch(1);
    }

    void release() {
        gate.countDown();
    }

    @Override
    public RestartPace pace(PolicyRef policy, String workload) {
        return RestartPace.ASSUMED;
    }

    @Override
    public RestartOutcome requestRestart(ResolvedPolicy policy, ScrapeTarget pod, String why, RestartPlan plan) {
        try {
            if (!gate.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the restarter");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        synchronized (this) {
            requested.add(pod.pod().name());
        }
        log.add("restart " + pod.pod().name() + " because " + why);
        return new RestartOutcome(RestartOutcome.Result.done, RestartStrategy.Evict, null, "evicted " + pod.pod());
    }

    synchronized List<String> requested() {
        return List.copyOf(requested);
    }
}
