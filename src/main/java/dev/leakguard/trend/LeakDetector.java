package dev.leakguard.trend;

/**
 * Online leak detection for one container series. One instance per pod; not thread-safe (the
 * pod's single scrape loop calls it). Decisions use only the samples observed so far.
 */
public interface LeakDetector {

    /** Adds a sample (older or equal timestamps than the last one are ignored) and judges again. */
    Assessment observe(Sample sample);

    /** The judgement after the latest sample. */
    Assessment current();
}
