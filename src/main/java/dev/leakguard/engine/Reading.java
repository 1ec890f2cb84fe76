package dev.leakguard.engine;

import dev.leakguard.trend.Sample;

/** The outcome of reading one pod once: a sample, or why there is none. */
public sealed interface Reading permits Reading.Ok, Reading.Failed {
    long elapsedNanos();

    /** {@code receivedNanos}: {@link System#nanoTime()} when the body was complete, where sample-to-decision latency starts. */
    record Ok(Sample sample, long elapsedNanos, long receivedNanos) implements Reading {
    }

    /** {@code result} is the stable metrics label (timeout, parse_error, …); {@code message} is for people. */
    record Failed(String result, String message, long elapsedNanos) implements Reading {
    }
}
