package dev.leakguard.cli;

import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.policy.Durations;
import dev.leakguard.text.Format;
import dev.leakguard.trend.Assessment;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How a {@link Backtest} reads: a text report for people, one JSON object for programs. */
final class BacktestReport {
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    /** Timestamps below this (2001-09-09) are seconds since the recording began, not epoch seconds. */
    private static final long EPOCH_FROM_MILLIS = 1_000_000_000_000L;
    private static final String SPARKS = "▁▂▃▄▅▆▇█";
    private static final int SPARKLINE_WIDTH = 60;

    private BacktestReport() {
    }

    /** e.g. 2026-12-03 06:12:05Z. */
    static String utc(long millis) {
        return UTC.format(Instant.ofEpochMilli(millis));
    }

    /** A time as people read it: UTC date and time (or seconds into the recording), and how far into the series. */
    static String time(Backtest backtest, long millis) {
        long start = backtest.samples().get(0).timestampMillis();
        String offset = "+" + Durations.format(Duration.ofSeconds((millis - start) / 1000));
        return millis >= EPOCH_FROM_MILLIS ? utc(millis) + " (" + offset + ")" : offset;
    }

    static String text(Backtest backtest) {
        StringBuilder text = new StringBuilder();
        double limit = backtest.settings().memoryLimitBytes();
        text.append("verdict: ").append(PodAnnotations.verdictLabel(backtest.verdict())).append('\n');
        Backtest.Action first = backtest.firstAction();
        if (first != null) {
            Assessment a = first.assessment();
            text.append("would restart at ").append(time(backtest, first.atMillis())).append(", ")
                    .append(Format.duration(a.secondsToLimit())).append(" before the predicted OOM at ")
                    .append(time(backtest, first.predictedOomMillis()));
            if (a.secondsToLimitLower() < a.secondsToLimit()) {
                text.append(" (as soon as ").append(Format.duration(a.secondsToLimitLower())).append(')');
            }
            text.append("\nreason: ").append(a.reason()).append('\n');
        } else {
            text.append("no restart would have been triggered\n");
        }
        if (backtest.limitCrossing() != null) {
            long crossed = backtest.limitCrossing().timestampMillis();
            text.append("limit ").append(Format.bytes(limit)).append(" crossed at ").append(time(backtest, crossed));
            text.append(first != null && first.atMillis() < crossed
                    ? ": the restart would have come " + Format.duration((crossed - first.atMillis()) / 1000.0) + " before it\n"
                    : ": an OOM kill leakguard would have missed\n");
        } else if (backtest.settings().limitKnown()) {
            text.append("limit ").append(Format.bytes(limit)).append(" never reached\n");
        }
        if (backtest.limitBelowSeriesLevel()) {
            text.append("warning: the limit ").append(Format.bytes(limit))
                    .append(" is below most of the series; is it in the right unit (512Mi, not 512Ki or 512m)?\n");
        }
        if (!backtest.oomKills().isEmpty()) {
            text.append("OOM kills (kube-state-metrics): ").append(backtest.oomKills().size()).append(", prevented ")
                    .append(backtest.oomsPrevented()).append('\n');
        }
        text.append("timeline:\n");
        for (Backtest.Change change : backtest.timeline()) {
            text.append("  ").append(time(backtest, change.atMillis())).append("  ")
                    .append(PodAnnotations.verdictLabel(change.verdict())).append(": ").append(change.reason()).append('\n');
        }
        Assessment last = backtest.last();
        text.append("at the end: ").append(PodAnnotations.verdictLabel(last.verdict())).append(", memory ")
                .append(Format.bytes(last.memoryBytes())).append(" of ").append(Format.bytes(limit)).append(", floor ")
                .append(Format.growth(Double.isNaN(last.memoryGrowthBytesPerSecond()) ? 0 : last.memoryGrowthBytesPerSecond()))
                .append('\n');
        text.append("memory: ").append(sparkline(backtest.memory())).append('\n');
        text.append("samples: ").append(backtest.samples().size()).append('\n');
        return text.toString();
    }

    /** The series in {@value #SPARKLINE_WIDTH} block characters, each the highest value of its stretch (peaks meet the limit). */
    static String sparkline(double[] values) {
        int width = Math.min(SPARKLINE_WIDTH, values.length);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        StringBuilder line = new StringBuilder(width);
        for (int column = 0; column < width; column++) {
            double peak = Double.NEGATIVE_INFINITY;
            for (int i = column * values.length / width; i < (column + 1) * values.length / width; i++) {
                peak = Math.max(peak, values[i]);
            }
            int level = max > min ? (int) Math.round((peak - min) / (max - min) * (SPARKS.length() - 1)) : 0;
            line.append(SPARKS.charAt(level));
        }
        return line.toString();
    }

    static Map<String, Object> json(Backtest backtest) {
        Backtest.Action first = backtest.firstAction();
        Assessment shown = first != null ? first.assessment() : backtest.last();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("verdict", PodAnnotations.verdictLabel(backtest.verdict()));
        json.put("actionAtSeconds", first == null ? null : first.atMillis() / 1000.0);
        json.put("predictedOomAtSeconds", first == null ? null : first.predictedOomMillis() / 1000.0);
        json.put("secondsToLimitAtAction", first == null ? null : finite(first.assessment().secondsToLimit()));
        json.put("secondsToLimitLowerAtAction", first == null ? null : finite(first.assessment().secondsToLimitLower()));
        json.put("limitCrossedAtSeconds", backtest.limitCrossing() == null ? null : backtest.limitCrossing().timestampMillis() / 1000.0);
        json.put("limitBelowSeriesLevel", backtest.limitBelowSeriesLevel());
        json.put("memoryGrowthBytesPerSecond", finite(shown.memoryGrowthBytesPerSecond()));
        json.put("threadGrowthPerSecond", finite(shown.threadGrowthPerSecond()));
        json.put("memoryLimitBytes", finite(backtest.settings().memoryLimitBytes()));
        // The one-sided Mann–Kendall p-value of the floor's rise: small means a clear rise. Not 1 − p under a
        // name that reads as "how sure": a flat series then showed 0.956.
        json.put("memoryRisePValue", shown.samples() == 0 ? null : 1 - shown.significance());
        json.put("fitQuality", shown.fitQuality());
        json.put("samples", backtest.samples().size());
        json.put("finalVerdict", PodAnnotations.verdictLabel(backtest.last().verdict()));
        json.put("reason", shown.reason());
        json.put("ooms", backtest.ooms().size());
        json.put("oomsPrevented", backtest.oomsPrevented());
        json.put("actionsWithoutOom", backtest.actionsWithoutOom());
        List<Map<String, Object>> timeline = new ArrayList<>();
        for (Backtest.Change change : backtest.timeline()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("atSeconds", change.atMillis() / 1000.0);
            entry.put("verdict", PodAnnotations.verdictLabel(change.verdict()));
            entry.put("reason", change.reason());
            timeline.add(entry);
        }
        json.put("timeline", timeline);
        return json;
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }
}
