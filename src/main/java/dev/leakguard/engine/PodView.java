package dev.leakguard.engine;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.util.List;

/** A consistent snapshot of one watched pod, for status, metrics and the demo's summary. */
public record PodView(PodKey pod, Verdict verdict, Assessment assessment, String scrapeError, List<String> topGroups, String evidence) {
}
