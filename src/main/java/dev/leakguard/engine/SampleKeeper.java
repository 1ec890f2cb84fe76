package dev.leakguard.engine;

import dev.leakguard.trend.Sample;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries watched pods' recent samples over a leader change or rollout: saves them through a
 * {@link SampleJournal}, and on the next start replays each pod's through its fresh detector, the way
 * backfilled samples go, before its first live scrape. Samples of another pod uid or container
 * instance are skipped. A journal that cannot be read or decoded means a fresh start, never a failure.
 */
public final class SampleKeeper {
    private static final Logger log = LoggerFactory.getLogger(SampleKeeper.class);
    /** Base64 characters of one archive: with metadata it stays well under Kubernetes' 1 MiB object limit. */
    public static final int MAX_ARCHIVE_CHARS = 900 * 1024;

    private final SampleJournal journal;
    private final int maxArchiveChars;

    public SampleKeeper(SampleJournal journal) {
        this(journal, MAX_ARCHIVE_CHARS);
    }

    SampleKeeper(SampleJournal journal, int maxArchiveChars) {
        this.journal = journal;
        this.maxArchiveChars = maxArchiveChars;
    }

    /**
     * The samples saved for the policy's pods (those of {@code part}, see {@link SampleJournal}), by pod; empty when
     * none were saved or they cannot be read.
     */
    public Map<PodKey, PodSamples> restore(PolicyRef policy, String part) {
        try {
            String archive = journal.load(policy, part);
            if (archive == null) {
                return Map.of();
            }
            Map<PodKey, PodSamples> byPod = new HashMap<>();
            for (PodSamples pod : SampleArchive.decode(archive)) {
                byPod.put(pod.pod(), pod);
            }
            log.info("{}/{}{}: restored recent samples of {} pods", policy.namespace(), policy.name(), part, byPod.size());
            return byPod;
        } catch (RuntimeException e) {
            log.warn("{}/{}: saved samples not used, starting fresh: {}", policy.namespace(), policy.name(), e.getMessage());
            return Map.of();
        }
    }

    /** Feeds {@code saved} to the pod's detector when it is the same pod and container instance; returns how many samples. */
    public static int replay(PodState state, PodSamples saved) {
        ScrapeTarget target = state.target();
        if (saved == null || !saved.podUid().equals(target.podUid())
                || !saved.sameInstance(target.containerStartMillis(), target.restartCount())) {
            return 0;
        }
        List<Sample> samples = saved.samples();
        samples.forEach(state::observe);
        return samples.size();
    }

    /** Saves the recent samples of the policy's pods, those nearest their limit first when not all fit. */
    public void save(PolicyRef policy, String part, Collection<PodState> pods) {
        List<PodSamples> recent = pods.stream().map(PodState::recentSamples).filter(p -> !p.samples().isEmpty()).toList();
        if (recent.isEmpty()) {
            return;
        }
        SampleArchive.Encoded encoded = SampleArchive.encode(recent, maxArchiveChars);
        if (encoded.dropped() > 0) {
            log.warn("{}/{}: recent samples of {} of {} pods left out of the saved state ({} KiB budget); those pods start over"
                    + " after a leader change", policy.namespace(), policy.name(), encoded.dropped(), recent.size(), maxArchiveChars / 1024);
        }
        try {
            journal.save(policy, part, encoded.base64(), encoded.kept());
        } catch (RuntimeException e) {
            log.warn("{}/{}: could not save recent samples: {}", policy.namespace(), policy.name(), e.getMessage());
        }
    }
}
