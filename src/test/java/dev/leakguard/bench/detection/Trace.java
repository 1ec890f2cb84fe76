package dev.leakguard.bench.detection;

/**
 * One replayable series with its ground truth. Times are epoch-free milliseconds from the trace start.
 *
 * @param limitReachedMillis   when the true memory first reaches the limit (the OOM kill); -1 if never.
 *                             The series ends just before it, as the container dies there.
 * @param leakOnsetMillis      when the leak that reaches the limit starts; -1 if none does
 * @param segmentStartMillis   start of the container that reaches the limit (0 unless restarts)
 * @param containerStartMillis per sample: the container's start time, or -1 when the trace hides it
 */
record Trace(String family, String name, long[] timestampMillis, double[] memoryBytes, double[] threads,
             long[] containerStartMillis, int[] restartCount, double limitBytes, long limitReachedMillis,
             long leakOnsetMillis, long segmentStartMillis) {

    boolean reachesLimit() {
        return limitReachedMillis >= 0;
    }

    int size() {
        return timestampMillis.length;
    }
}
