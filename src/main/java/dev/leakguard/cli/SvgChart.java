package dev.leakguard.cli;

import dev.leakguard.text.Format;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A backtest as one self-contained SVG: memory (highest and lowest sample per pixel column, so no
 * peak is lost however long the series), the limit, the warm-up, the fitted trend from the moment
 * of action to the predicted OOM and its pessimistic bound, the limit crossing and known OOM kills.
 * Written by hand: the drawing is a few lines and polylines, and an SVG library would bring far more
 * than it saves. The {@code <desc>} says in words what the picture shows, for screen readers and diffs.
 */
final class SvgChart {
    private static final int WIDTH = 960;
    private static final int HEIGHT = 400;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private final Backtest backtest;
    private final double t0;
    private final double t1;
    private final double yMax;

    private SvgChart(Backtest backtest) {
        this.backtest = backtest;
        List<Sample> samples = backtest.samples();
        t0 = samples.get(0).timestampMillis();
        double end = samples.get(samples.size() - 1).timestampMillis();
        Backtest.Action first = backtest.firstAction();
        if (first != null && Double.isFinite(first.assessment().secondsToLimit())) {
            end = Math.max(end, first.predictedOomMillis());
        }
        t1 = Math.max(end, t0 + 1000);
        double highest = 0;
        for (Sample s : samples) {
            highest = Math.max(highest, s.memoryBytes());
        }
        double limit = backtest.settings().limitKnown() ? backtest.settings().memoryLimitBytes() : 0;
        yMax = Math.max(highest, limit) * 1.08 + 1;
    }

    static String render(Backtest backtest, String title) {
        return new SvgChart(backtest).svg(title);
    }

    private String svg(String title) {
        StringBuilder svg = new StringBuilder()
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" font-family=\"sans-serif\" font-size=\"12\">\n")
                .append("<title>").append(escape(title)).append("</title>\n")
                .append("<desc>").append(escape(description())).append("</desc>\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n")
                .append("<text x=\"").append(LEFT).append("\" y=\"22\" font-size=\"15\">").append(escape(title)).append("</text>\n");
        warmup(svg);
        axes(svg);
        memory(svg);
        if (backtest.settings().limitKnown()) {
            double y = y(backtest.settings().memoryLimitBytes());
            line(svg, "limit", LEFT, y, WIDTH - RIGHT, y, "#c00", "6 4");
            label(svg, WIDTH - RIGHT - 4, y - 5, "end", "#c00", "limit " + Format.bytes(backtest.settings().memoryLimitBytes()));
        }
        trend(svg);
        if (backtest.limitCrossing() != null) {
            marker(svg, "limit-crossed", backtest.limitCrossing().timestampMillis(), "#000", "", "limit crossed");
        }
        for (long oom : backtest.oomKills()) {
            marker(svg, "oom-kill", oom, "#7b1fa2", "2 3", "OOM kill");
        }
        return svg.append("</svg>\n").toString();
    }

    /** What the picture shows, in words: the same facts as the text report's first lines. */
    String description() {
        Backtest.Action first = backtest.firstAction();
        StringBuilder text = new StringBuilder("Memory of ").append(backtest.samples().size()).append(" samples from ")
                .append(BacktestReport.time(backtest, (long) t0)).append(", peak ")
                .append(Format.bytes(max(backtest.memory())));
        if (backtest.settings().limitKnown()) {
            text.append(", limit ").append(Format.bytes(backtest.settings().memoryLimitBytes()));
        }
        if (first != null) {
            text.append(". leakguard would restart at ").append(BacktestReport.time(backtest, first.atMillis()))
                    .append("; the fitted trend reaches the limit at ").append(BacktestReport.time(backtest, first.predictedOomMillis()));
        } else {
            text.append(". No restart would have been triggered");
        }
        if (backtest.limitCrossing() != null) {
            text.append("; the limit was crossed at ").append(BacktestReport.time(backtest, backtest.limitCrossing().timestampMillis()));
        }
        if (!backtest.oomKills().isEmpty()) {
            text.append("; ").append(backtest.oomKills().size()).append(" OOM kills known, ").append(backtest.oomsPrevented())
                    .append(" prevented");
        }
        return text.append('.').toString();
    }

    private void warmup(StringBuilder svg) {
        double end = Math.min(t1, t0 + backtest.settings().warmup().toMillis());
        svg.append("<rect id=\"warmup\" x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"")
                .append(number(x(end) - LEFT)).append("\" height=\"").append(HEIGHT - TOP - BOTTOM)
                .append("\" fill=\"#eee\"><title>warm-up</title></rect>\n");
        label(svg, LEFT + 4, TOP + 14, "start", "#888", "warm-up");
    }

    private void axes(StringBuilder svg) {
        line(svg, null, LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, "#444", "");
        line(svg, null, LEFT, TOP, LEFT, HEIGHT - BOTTOM, "#444", "");
        for (int i = 0; i <= 4; i++) {
            double bytes = yMax * i / 4;
            label(svg, LEFT - 6, y(bytes) + 4, "end", "#444", Format.bytes(bytes));
            double t = t0 + (t1 - t0) * i / 4;
            label(svg, x(t), HEIGHT - BOTTOM + 18, i == 0 ? "start" : i == 4 ? "end" : "middle", "#444",
                    BacktestReport.time(backtest, (long) t));
        }
    }

    /** Per pixel column the lowest and highest sample, so a GC sawtooth keeps its peaks and its floor. */
    private void memory(StringBuilder svg) {
        List<Sample> samples = backtest.samples();
        int columns = WIDTH - LEFT - RIGHT;
        double[] low = new double[columns];
        double[] high = new double[columns];
        Arrays.fill(low, Double.NaN);
        Arrays.fill(high, Double.NaN);
        for (Sample s : samples) {
            int column = (int) Math.min(columns - 1, Math.max(0, Math.floor(x(s.timestampMillis()) - LEFT)));
            low[column] = Double.isNaN(low[column]) ? s.memoryBytes() : Math.min(low[column], s.memoryBytes());
            high[column] = Double.isNaN(high[column]) ? s.memoryBytes() : Math.max(high[column], s.memoryBytes());
        }
        List<String> points = new ArrayList<>();
        for (int column = 0; column < columns; column++) {
            if (!Double.isNaN(low[column])) {
                points.add(number(LEFT + column) + "," + number(y(low[column])));
                if (high[column] != low[column]) {
                    points.add(number(LEFT + column) + "," + number(y(high[column])));
                }
            }
        }
        svg.append("<polyline id=\"memory\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1\" points=\"")
                .append(String.join(" ", points)).append("\"/>\n");
    }

    /** The trend the detector fitted when it acted, drawn as it projected it: reaching the limit at the predicted OOM. */
    private void trend(StringBuilder svg) {
        Backtest.Action first = backtest.firstAction();
        if (first == null) {
            return;
        }
        Assessment a = first.assessment();
        double limit = backtest.settings().memoryLimitBytes();
        if (Double.isFinite(a.secondsToLimit()) && a.memoryGrowthBytesPerSecond() > 0) {
            double startBytes = limit - a.memoryGrowthBytesPerSecond() * a.secondsToLimit();
            line(svg, "trend", x(first.atMillis()), y(startBytes), x(first.predictedOomMillis()), y(limit), "#ef6c00", "");
            if (a.secondsToLimitLower() < a.secondsToLimit()) {
                line(svg, "trend-bound", x(first.atMillis()), y(startBytes), x(first.atMillis() + a.secondsToLimitLower() * 1000),
                        y(limit), "#ef6c00", "3 3");
            }
            marker(svg, "predicted-oom", first.predictedOomMillis(), "#c00", "2 2", "predicted OOM");
        }
        marker(svg, "action", first.atMillis(), "#ef6c00", "", "restart");
    }

    private void marker(StringBuilder svg, String id, double t, String colour, String dash, String text) {
        double x = x(t);
        line(svg, id, x, TOP, x, HEIGHT - BOTTOM, colour, dash);
        label(svg, x + 3, TOP - 4, "start", colour, text);
    }

    private static void line(StringBuilder svg, String id, double x1, double y1, double x2, double y2, String colour, String dash) {
        svg.append("<line").append(id == null ? "" : " id=\"" + id + "\"").append(" x1=\"").append(number(x1)).append("\" y1=\"")
                .append(number(y1)).append("\" x2=\"").append(number(x2)).append("\" y2=\"").append(number(y2))
                .append("\" stroke=\"").append(colour).append('"')
                .append(dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\"").append("/>\n");
    }

    private static void label(StringBuilder svg, double x, double y, String anchor, String colour, String text) {
        svg.append("<text x=\"").append(number(x)).append("\" y=\"").append(number(y)).append("\" text-anchor=\"").append(anchor)
                .append("\" fill=\"").append(colour).append("\">").append(escape(text)).append("</text>\n");
    }

    private double x(double t) {
        return LEFT + (t - t0) / (t1 - t0) * (WIDTH - LEFT - RIGHT);
    }

    private double y(double bytes) {
        return HEIGHT - BOTTOM - Math.max(0, bytes) / yMax * (HEIGHT - TOP - BOTTOM);
    }

    private static double max(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, v);
        }
        return max;
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
