package dev.leakguard.engine;

import dev.leakguard.decide.RestartOutcome;
import dev.leakguard.decide.RestartPace;
import dev.leakguard.decide.RestartPlan;

/** The one door for restarts. Blocking I/O, called on the engine's action threads. */
public interface Restarter {
    /**
     * Restarts {@code pod} if the door's rules allow it; {@code why} (the leak in numbers and its
     * top groups) goes into the Event. {@code plan} is the restart plan of the pod's workload, which
     * orders its replicas and tells when the cooldown must give way; null when the pod is in none.
     * Answers from the cluster come back as the outcome, not thrown.
     */
    RestartOutcome requestRestart(ResolvedPolicy policy, ScrapeTarget pod, String why, RestartPlan plan);

    /** How fast the workload ("Kind/name") came back from the policy's past restarts; no request to the cluster. */
    RestartPace pace(PolicyRef policy, String workload);
}
