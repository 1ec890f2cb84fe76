package dev.leakguard.engine;

import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.profile.GroupCounts;
import dev.leakguard.trend.Assessment;
import dev.leakguard.trend.DetectionSettings;
import dev.leakguard.trend.LeakDetector;
import dev.leakguard.trend.LeakDetectors;
import dev.leakguard.trend.Sample;
import dev.leakguard.trend.Verdict;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything leakguard remembers about one watched pod: its detector, the last assessment or scrape
 * error, and what was already announced or written. One scrape loop owns it; status and metrics read
 * consistent snapshots through {@link #view()}. The flags that keep one write, one act and one
 * restart request per pod in flight are set here and cleared by the job that runs on
 * {@link PodActions}, which never drops a job, so they cannot stay set.
 */
public final class PodState {
    private final LeakDetector detector;
    private final RecentSamples recent;
    private ScrapeTarget target;
    private Assessment assessment;
    private String scrapeError;
    private Reactions.Progress progress = Reactions.Progress.NONE;
    private final Map<String, String> annotationsWritten = new HashMap<>();
    private Map<String, String> annotationsPending;
    private boolean annotationWriteQueued;
    private List<String> topGroups = List.of();
    private String profileSkipped;
    private String evidence;
    private GroupCounts profileBaseline;
    private boolean scrapeInFlight;
    private boolean restartQueued;
    private boolean acting;
    private long nextRestartAttemptMillis;
    private long annotatedAtMillis = Long.MIN_VALUE / 2;

    /** {@code annotations} are the pod's annotations as read: leakguard's own tell what it already wrote. */
    public PodState(ScrapeTarget target, Map<String, String> annotations, DetectionSettings settings) {
        this.target = target;
        this.detector = LeakDetectors.create(settings);
        this.recent = new RecentSamples(settings.interval().toMillis(), settings.window().toMillis());
        this.assessment = detector.current();
        if (annotations != null) {
            annotations.forEach((k, v) -> {
                if (k.startsWith(PodAnnotations.PREFIX)) {
                    annotationsWritten.put(k, v);
                }
            });
        }
    }

    public synchronized PodView view() {
        return new PodView(target.pod(), effectiveVerdict(), assessment, scrapeError, topGroups, profileSkipped, evidence, target.limitSource(),
                target.workload());
    }

    public synchronized Verdict effectiveVerdict() {
        return scrapeError != null ? Verdict.UNKNOWN : assessment.verdict();
    }

    public synchronized ScrapeTarget target() {
        return target;
    }

    /** A newer copy of the pod from the informer; a new container instance resets what was announced. */
    public synchronized void refresh(ScrapeTarget newTarget) {
        if (newTarget.containerStartMillis() != target.containerStartMillis() || newTarget.restartCount() != target.restartCount()) {
            progress = Reactions.Progress.NONE;
            topGroups = List.of();
            profileSkipped = null;
            profileBaseline = null;
            nextRestartAttemptMillis = 0;
        }
        target = newTarget;
    }

    public synchronized boolean tryStartScrape() {
        if (scrapeInFlight) {
            return false;
        }
        scrapeInFlight = true;
        return true;
    }

    public synchronized void scrapeFinished() {
        scrapeInFlight = false;
    }

    public synchronized Assessment observe(Sample sample) {
        scrapeError = null;
        recent.add(sample);
        assessment = detector.observe(sample);
        return assessment;
    }

    /** The last window of samples, one per interval, of the current container instance: what another leader replays. */
    public synchronized PodSamples recentSamples() {
        List<Sample> samples = recent.list();
        Sample first = samples.isEmpty() ? null : samples.get(0);
        return new PodSamples(target.pod(), target.podUid(), first == null ? target.containerStartMillis() : first.containerStartMillis(),
                first == null ? target.restartCount() : first.restartCount(), target.memoryLimitBytes(), samples);
    }

    synchronized void scrapeFailed(String error) {
        scrapeError = error;
    }

    synchronized Assessment assessment() {
        return assessment;
    }

    synchronized Reactions.Progress progress() {
        return progress;
    }

    synchronized void progress(Reactions.Progress next) {
        progress = next;
    }

    synchronized Map<String, String> annotationsWritten() {
        return Map.copyOf(annotationsWritten);
    }

    synchronized void annotationsWritten(Map<String, String> written) {
        annotationsWritten.putAll(written);
    }

    /**
     * Hands over the annotations the pod should carry under {@code verdict}, at clock time
     * {@code nowMillis}. True when the caller must queue a write (none is queued and
     * {@link PodAnnotations#shouldWrite} says so); false when nothing needs writing or the queued write
     * will take them.
     */
    synchronized boolean wantAnnotations(Verdict verdict, long nowMillis, long refreshMillis) {
        if (!annotationWriteQueued && PodAnnotations.staysUnannotated(annotationsWritten, verdict)) {
            return false;
        }
        Map<String, String> wanted = PodAnnotations.describe(verdict, assessment);
        if (annotationWriteQueued) {
            annotationsPending = wanted;
            return false;
        }
        if (!PodAnnotations.shouldWrite(annotationsWritten, wanted, nowMillis - annotatedAtMillis, refreshMillis)) {
            return false;
        }
        annotatedAtMillis = nowMillis;
        annotationsPending = wanted;
        annotationWriteQueued = true;
        return true;
    }

    /** The queued write's next values, or null (and the write is no longer queued) when none are pending. */
    synchronized Map<String, String> nextAnnotations() {
        Map<String, String> next = annotationsPending;
        annotationsPending = null;
        annotationWriteQueued = next != null;
        return next;
    }

    /** The top groups of the latest profile and what its parser skipped ({@code skipped: N records (…)}, null when nothing). */
    synchronized void topGroups(List<String> groups, String skipped) {
        topGroups = List.copyOf(groups);
        profileSkipped = skipped;
    }

    synchronized List<String> topGroups() {
        return topGroups;
    }

    synchronized void evidence(String configMapName) {
        evidence = configMapName;
    }

    /** Profile, evidence and announcement of the first leaking reading are under way; restarts wait for them. */
    synchronized boolean acting() {
        return acting;
    }

    synchronized void acting(boolean value) {
        acting = value;
    }

    /** One restart request at a time per pod, and none before the retry time of the last one. */
    synchronized boolean tryQueueRestart(long nowMillis) {
        if (restartQueued || nowMillis < nextRestartAttemptMillis) {
            return false;
        }
        restartQueued = true;
        return true;
    }

    synchronized void restartAttemptDone(long retryAtMillis) {
        restartQueued = false;
        nextRestartAttemptMillis = retryAtMillis;
    }

    synchronized String evidence() {
        return evidence;
    }

    /** The profile taken when suspicion started; growth is measured against it. Null until taken. */
    synchronized GroupCounts profileBaseline() {
        return profileBaseline;
    }

    synchronized void profileBaseline(GroupCounts groups) {
        profileBaseline = groups;
    }
}
