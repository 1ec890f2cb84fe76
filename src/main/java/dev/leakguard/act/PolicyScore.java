package dev.leakguard.act;

/** The honest measure of a policy: graceful restarts done versus OOM kills that happened anyway. */
public record PolicyScore(int restarts, int oomKillsMissed) {
}
