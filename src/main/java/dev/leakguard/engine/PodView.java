package dev.leakguard.engine;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Verdict;
import java.util.List;

/**
 * A consistent snapshot of one watched pod, for status, metrics and the demo's summary.
 * {@code profileSkipped} says what the parser left out of the profile behind {@code topGroups}
 * ({@code skipped: N records (…)}), null when nothing; {@code limitSource} where the limit came from,
 * null when none is known; {@code workload} the owning workload as Kind/name, null without a controller.
 */
public record PodView(PodKey pod, Verdict verdict, Assessment assessment, String scrapeError, List<String> topGroups,
                      String profileSkipped, String evidence, LimitSource limitSource, String workload) {
}
