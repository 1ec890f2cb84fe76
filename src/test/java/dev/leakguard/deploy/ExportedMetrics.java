package dev.leakguard.deploy;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The series the operator exposes on {@code /metrics}: sample name (as Prometheus stores it, with
 * {@code _total}, {@code _bucket} …) to its label names. Dashboards and alert rules are checked
 * against {@link #SERIES}.
 */
final class ExportedMetrics {

    private static final Set<String> POD = Set.of("namespace", "pod", "policy");
    private static final Set<String> POLICY = Set.of("namespace", "policy");

    /** The metrics contract documented in the README. */
    static final Map<String, Set<String>> CONTRACT = Map.ofEntries(
            Map.entry("leakguard_pod_memory_bytes", POD),
            Map.entry("leakguard_pod_memory_limit_bytes", POD),
            Map.entry("leakguard_pod_memory_growth_bytes_per_second", POD),
            Map.entry("leakguard_pod_seconds_to_limit", POD),
            Map.entry("leakguard_pod_seconds_to_limit_lower", POD),
            Map.entry("leakguard_pod_threads", POD),
            Map.entry("leakguard_pod_thread_growth_per_second", POD),
            Map.entry("leakguard_pod_verdict", Set.of("namespace", "pod", "policy", "verdict")),
            Map.entry("leakguard_policy_watched_pods", POLICY),
            Map.entry("leakguard_policy_leaking_pods", POLICY),
            Map.entry("leakguard_policy_ready", POLICY),
            Map.entry("leakguard_actions_total", Set.of("namespace", "policy", "type", "result")),
            Map.entry("leakguard_oom_kills_missed_total", POLICY),
            Map.entry("leakguard_restart_loops_total", POLICY),
            Map.entry("leakguard_scrapes_total", Set.of("namespace", "policy", "result")),
            Map.entry("leakguard_events_total", Set.of("reason", "type")),
            Map.entry("leakguard_scrape_duration_seconds_bucket", Set.of("namespace", "policy", "le")),
            Map.entry("leakguard_scrape_duration_seconds_sum", POLICY),
            Map.entry("leakguard_scrape_duration_seconds_count", POLICY),
            Map.entry("leakguard_decision_duration_seconds_bucket", Set.of("namespace", "policy", "le")),
            Map.entry("leakguard_decision_duration_seconds_sum", POLICY),
            Map.entry("leakguard_decision_duration_seconds_count", POLICY),
            Map.entry("leakguard_build_info", Set.of("version")));

    /** What dashboards and alerts may use: what the operator's real registry exposes once every meter was touched. */
    static final Map<String, Set<String>> SERIES = fromExposition(OperatorRegistrySample.exposition());

    /**
     * Series Prometheus writes itself for every scrape target, with the target labels a
     * ServiceMonitor attaches.
     */
    static final Map<String, Set<String>> PER_TARGET = Map.of(
            "up", Set.of("job", "instance", "namespace", "service", "pod", "container", "endpoint"));

    private ExportedMetrics() {
    }

    /** Label names of a series a query may select, or empty when nobody exports it. */
    static Optional<Set<String>> labelsOf(String seriesName) {
        return Optional.ofNullable(SERIES.getOrDefault(seriesName, PER_TARGET.get(seriesName)));
    }

    /** Series names and their label names from the Prometheus text exposition format. */
    static Map<String, Set<String>> fromExposition(String exposition) {
        Map<String, Set<String>> series = new TreeMap<>();
        for (String line : exposition.split("\n")) {
            String sample = line.strip();
            if (sample.isEmpty() || sample.startsWith("#")) {
                continue;
            }
            int nameEnd = 0;
            while (nameEnd < sample.length() && isNameChar(sample.charAt(nameEnd))) {
                nameEnd++;
            }
            Set<String> labels = series.computeIfAbsent(sample.substring(0, nameEnd), name -> new TreeSet<>());
            if (nameEnd < sample.length() && sample.charAt(nameEnd) == '{') {
                labels.addAll(labelNames(sample, nameEnd + 1));
            }
        }
        return series;
    }

    private static Set<String> labelNames(String sample, int start) {
        Set<String> names = new TreeSet<>();
        int i = start;
        while (i < sample.length() && sample.charAt(i) != '}') {
            int eq = sample.indexOf('=', i);
            names.add(sample.substring(i, eq).strip());
            i = sample.indexOf('"', eq) + 1;
            while (sample.charAt(i) != '"') {
                i += sample.charAt(i) == '\\' ? 2 : 1;
            }
            i++;
            while (i < sample.length() && (sample.charAt(i) == ',' || sample.charAt(i) == ' ')) {
                i++;
            }
        }
        return names;
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == ':';
    }
}
