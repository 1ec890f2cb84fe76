package dev.leakguard.engine;

import dev.leakguard.decide.RestartOutcome;

/** The one door for restarts. Blocking I/O, called on the engine's action threads. */
public interface Restarter {
    /**
     * Restarts {@code pod} if the door's rules allow it; {@code why} (the leak in numbers and its
     * top groups) goes into the Event. Answers from the cluster come back as the outcome, not thrown.
     */
    RestartOutcome requestRestart(ResolvedPolicy policy, ScrapeTarget pod, String why);
}
