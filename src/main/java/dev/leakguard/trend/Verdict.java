package dev.leakguard.trend;

/** What the detector concludes about one container, from least to most alarming. */
public enum Verdict {
    /** Still warming up after a container start, or too few samples in the window to judge. */
    INSUFFICIENT_DATA,
    /** No significant growth of the memory floor, or growth that is levelling off below the limit. */
    HEALTHY,
    /** Significant growth, but the limit is beyond the horizon (or unknown). */
    SUSPECT,
    /** Significant growth that is predicted to reach the limit within the horizon. */
    LEAKING,
    /** Set by the operator when scrapes fail; the detector never returns it. */
    UNKNOWN
}
