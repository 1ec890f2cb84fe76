package dev.leakguard.cli;

import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.DetectionSettings;
import dev.leakguard.trend.LeakDetector;
import dev.leakguard.trend.LeakDetectors;
import dev.leakguard.trend.Sample;
import dev.leakguard.trend.Verdict;
import java.util.ArrayList;
import java.util.List;

/**
 * One series replayed, sample by sample, through the operator's own detector ({@link LeakDetectors})
 * with the operator's settings, and what a reader of the replay must know: when the verdict
 * changed, when leakguard would have acted, when it predicted the OOM, when the series really
 * crossed its limit — and which OOM kills the actions would have come before.
 *
 * @param samples       the replayed samples, oldest first
 * @param timeline      the verdict each time it changed
 * @param actions       each move into {@code leaking}: a restart (or, in dry run, an annotation)
 * @param limitCrossing the first sample at or above the limit, or null
 * @param oomKills      epoch milliseconds of OOM kills known from elsewhere (kube-state-metrics);
 *                      empty when none are known, in which case the limit crossings stand in for them
 */
public record Backtest(DetectionSettings settings, List<Sample> samples, Assessment last, List<Change> timeline,
                       List<Action> actions, Sample limitCrossing, List<Long> oomKills) {

    /** The verdict became {@code verdict} at {@code atMillis}. */
    public record Change(long atMillis, Verdict verdict, String reason) {
    }

    /** leakguard would have acted at {@code atMillis}, with the assessment it acted on. */
    public record Action(long atMillis, Assessment assessment) {
        /** When the detector expected the peaks to reach the limit. */
        public long predictedOomMillis() {
            return atMillis + Math.round(assessment.secondsToLimit() * 1000);
        }
    }

    /** Feeds every sample to one detector, as the operator's loop does, and notes every change. */
    public static Backtest replay(List<Sample> samples, DetectionSettings settings, List<Long> oomKills) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples to replay");
        }
        LeakDetector detector = LeakDetectors.create(settings);
        List<Change> timeline = new ArrayList<>();
        List<Action> actions = new ArrayList<>();
        Sample crossing = null;
        Assessment last = detector.current();
        Verdict previous = null;
        for (Sample sample : samples) {
            last = detector.observe(sample);
            if (last.verdict() != previous) {
                timeline.add(new Change(sample.timestampMillis(), last.verdict(), last.reason()));
                if (last.verdict() == Verdict.LEAKING) {
                    actions.add(new Action(sample.timestampMillis(), last));
                }
                previous = last.verdict();
            }
            if (crossing == null && settings.limitKnown() && sample.memoryBytes() >= settings.memoryLimitBytes()) {
                crossing = sample;
            }
        }
        return new Backtest(settings, List.copyOf(samples), last, List.copyOf(timeline), List.copyOf(actions), crossing,
                List.copyOf(oomKills));
    }

    /** The first action, or null. */
    public Action firstAction() {
        return actions.isEmpty() ? null : actions.get(0);
    }

    /** The worst verdict is the one to report: a series that leaked and was then cut short still leaked. */
    public Verdict verdict() {
        return actions.isEmpty() ? last.verdict() : Verdict.LEAKING;
    }

    /**
     * The OOM kills to score against: the known ones, or else each time the series rose to its limit
     * (after having been below it), which is when the OOM killer would have struck.
     */
    public List<Long> ooms() {
        if (!oomKills.isEmpty() || !settings.limitKnown()) {
            return oomKills;
        }
        List<Long> crossings = new ArrayList<>();
        boolean below = true;
        for (Sample sample : samples) {
            boolean above = sample.memoryBytes() >= settings.memoryLimitBytes();
            if (above && below) {
                crossings.add(sample.timestampMillis());
            }
            below = !above;
        }
        return crossings;
    }

    /** OOM kills with an action before them and after the previous one: those a restart would have come before. */
    public int oomsPrevented() {
        int prevented = 0;
        long since = Long.MIN_VALUE;
        for (long oom : ooms()) {
            long from = since;
            if (actions.stream().anyMatch(a -> a.atMillis() > from && a.atMillis() < oom)) {
                prevented++;
            }
            since = oom;
        }
        return prevented;
    }

    /** Actions after which no OOM kill followed in the data: restarts the backtest cannot justify. */
    public int actionsWithoutOom() {
        List<Long> ooms = ooms();
        int unjustified = 0;
        for (int i = 0; i < actions.size(); i++) {
            long at = actions.get(i).atMillis();
            long until = i + 1 < actions.size() ? actions.get(i + 1).atMillis() : Long.MAX_VALUE;
            if (ooms.stream().noneMatch(oom -> oom > at && oom <= until)) {
                unjustified++;
            }
        }
        return unjustified;
    }

    /**
     * A limit below most of the series is more likely a unit mistake (512M for 512Mi is fine, 512Ki
     * is not) than a container that lived above its limit: the OOM killer would not have let it.
     */
    public boolean limitBelowSeriesLevel() {
        if (!settings.limitKnown()) {
            return false;
        }
        double[] memory = samples.stream().mapToDouble(Sample::memoryBytes).sorted().toArray();
        return memory[memory.length / 2] > settings.memoryLimitBytes();
    }

    /** The samples' memory, for plots and sparklines. */
    double[] memory() {
        return samples.stream().mapToDouble(Sample::memoryBytes).toArray();
    }
}
