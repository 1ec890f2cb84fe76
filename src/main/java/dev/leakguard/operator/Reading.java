package dev.leakguard.operator;

import dev.leakguard.trend.Sample;

/** The outcome of reading one pod once: a sample, or why there is none. */
sealed interface Reading permits Reading.Ok, Reading.Failed {
    long elapsedNanos();

    record Ok(Sample sample, long elapsedNanos) implements Reading {
    }

    /** {@code result} is the stable metrics label (timeout, parse_error, …); {@code message} is for people. */
    record Failed(String result, String message, long elapsedNanos) implements Reading {
    }
}
