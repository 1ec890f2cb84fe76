package dev.leakguard.engine;

import dev.leakguard.text.Format;
import dev.leakguard.text.BoundedText;
import dev.leakguard.trend.Assessment;
import java.util.List;

/** The texts of the engine's Events and of the reason it gives the restart door. */
final class LeakMessages {
    private LeakMessages() {
    }

    static String suspicion(ResolvedPolicy policy, ScrapeTarget target, Assessment a) {
        StringBuilder text = new StringBuilder()
                .append("Memory ").append(policy.memory()).append(" grows ").append(Format.growth(a.memoryGrowthBytesPerSecond()))
                .append(": ").append(Format.bytes(a.memoryBytes()));
        if (!Double.isNaN(a.memoryLimitBytes())) {
            text.append(" of ").append(Format.bytes(a.memoryLimitBytes())).append(" limit").append(limitFrom(target)).append(", reached in ~")
                    .append(Format.duration(a.secondsToLimit())).append(" at this rate");
        } else {
            text.append(" (no memory limit known)");
        }
        appendThreads(text, policy, a);
        return text.append(". ").append(a.reason()).toString();
    }

    /** {@code evidence} is the evidence's name or null; {@code profileNote} why there is no profile, or null. */
    static String oomPredicted(ResolvedPolicy policy, ScrapeTarget target, Assessment a, String evidence, List<String> topGroups, String profileNote) {
        StringBuilder head = new StringBuilder()
                .append("Memory limit ").append(Format.bytes(a.memoryLimitBytes())).append(limitFrom(target)).append(" predicted in ")
                .append(Format.duration(a.secondsToLimit()));
        if (a.secondsToLimitLower() < a.secondsToLimit()) {
            head.append(" (as soon as ").append(Format.duration(a.secondsToLimitLower())).append(")");
        }
        head.append(": ").append(Format.bytes(a.memoryBytes())).append(" now, ").append(Format.growth(a.memoryGrowthBytesPerSecond()));
        appendThreads(head, policy, a);
        head.append(". Action: ").append(policy.restart().type()).append(policy.restart().dryRun() ? " (dry run)" : "").append('.');
        if (evidence != null) {
            head.append(" Evidence: configmap/").append(evidence).append('.');
        }
        if (profileNote != null) {
            head.append(' ').append(profileNote).append('.');
        }
        if (topGroups.isEmpty()) {
            return BoundedText.bounded(head.toString(), BoundedText.EVENT_MESSAGE_MAX_BYTES);
        }
        return BoundedText.fit(head.append(" Top growing:").toString(), topGroups, BoundedText.EVENT_MESSAGE_MAX_BYTES);
    }

    static String restartReason(Assessment a, List<String> topGroups) {
        String top = topGroups.isEmpty() ? "" : "; top: " + topGroups.get(0);
        return "memory " + Format.bytes(a.memoryBytes()) + " of " + Format.bytes(a.memoryLimitBytes()) + ", "
                + Format.growth(a.memoryGrowthBytesPerSecond()) + ", limit predicted in " + Format.duration(a.secondsToLimit()) + top;
    }

    /** E.g. {@code  (pod spec.resources)}: which of the pod's limits the prediction is against. */
    private static String limitFrom(ScrapeTarget target) {
        return target.limitSource() == null ? "" : " (" + target.limitSource().label() + ")";
    }

    private static void appendThreads(StringBuilder text, ResolvedPolicy policy, Assessment a) {
        if (policy.hasThreads() && !Double.isNaN(a.threads())) {
            text.append("; ").append(policy.threads()).append(' ').append(Math.round(a.threads()))
                    .append(" (").append(Format.countGrowth(a.threadGrowthPerSecond())).append(')');
        }
    }
}
