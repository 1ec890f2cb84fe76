package dev.leakguard.act;

import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.trend.Assessment;
import java.util.ArrayList;
import java.util.List;

/** Records what the restart door reports, for assertions. */
public final class TestingMetrics implements OperatorMetrics {
    private final List<String> actions = new ArrayList<>();
    private int oomKillsMissed;
    private int restartLoops;

    public synchronized List<String> actions() {
        return List.copyOf(actions);
    }

    public synchronized int oomKillsMissed() {
        return oomKillsMissed;
    }

    public synchronized int restartLoops() {
        return restartLoops;
    }

    @Override
    public synchronized void action(String namespace, String policy, String type, String result) {
        actions.add(type + ":" + result);
    }

    @Override
    public synchronized void oomKillMissed(String namespace, String policy) {
        oomKillsMissed++;
    }

    @Override
    public synchronized void restartLoop(String namespace, String policy) {
        restartLoops++;
    }

    @Override public void scrape(String namespace, String policy, String result, long durationNanos) { }
    @Override public void decision(String namespace, String policy, long durationNanos) { }
    @Override public void reconcile(String namespace, String policy, boolean podsListed, long durationNanos) { }
    @Override public void event(String reason, String type, boolean delivered) { }
    @Override public void pod(String namespace, String pod, String policy, dev.leakguard.trend.Verdict verdict, Assessment assessment) { }
    @Override public void forgetPod(String namespace, String pod, String policy) { }
    @Override public void policy(String namespace, String policy, int watched, int leaking, boolean ready) { }
    @Override public void forgetPolicy(String namespace, String policy) { }
    @Override public void restartPlan(String namespace, String policy, String workload, double secondsToFirstStart) { }
    @Override public void forgetRestartPlan(String namespace, String policy, String workload) { }
}
