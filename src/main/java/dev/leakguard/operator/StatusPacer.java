package dev.leakguard.operator;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.time.ScaledClock;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How often a policy's status is written. A verdict change in the scrape loops asks for a reconcile
 * so that status follows within one, but at most once per status gap (a quarter of the refresh)
 * per policy: in a large fleet verdicts change every few seconds, and each reconcile lists every
 * selected pod and may write status. All spans are on the operator's clock; JOSDK and the delayed
 * trigger wait the real time they take.
 */
final class StatusPacer {
    private final ScaledClock clock;
    private final Duration refresh;
    private final Map<PolicyKey, Long> lastWriteMillis = new ConcurrentHashMap<>();
    private final Set<PolicyKey> reconcilePending = ConcurrentHashMap.newKeySet();
    private final SimpleInboundEventSource<LeakPolicy> verdictEvents = new SimpleInboundEventSource<>("verdicts");

    StatusPacer(ScaledClock clock, Duration refresh) {
        this.clock = clock;
        this.refresh = refresh;
    }

    /** The event source through which verdict changes reach the controller. */
    SimpleInboundEventSource<LeakPolicy> verdictEvents() {
        return verdictEvents;
    }

    /** Called by the scrape loops when a pod's verdict changes. */
    void verdictChanged(PolicyKey key) {
        if (!verdictEvents.isRunning() || !reconcilePending.add(key)) {
            return;
        }
        long waitMillis = untilGapEnds(key);
        long realWaitMillis = waitMillis > 0 ? clock.realDelayMillis(waitMillis) : 0;
        CompletableFuture.delayedExecutor(realWaitMillis, TimeUnit.MILLISECONDS).execute(() -> {
            reconcilePending.remove(key);
            verdictEvents.propagateEvent(new ResourceID(key.name(), key.namespace()));
        });
    }

    /** Asks for a reconcile at once, outside the gap: the shards this replica holds changed, and with them its pods. */
    void reconcileNow(PolicyKey key) {
        if (verdictEvents.isRunning()) {
            verdictEvents.propagateEvent(new ResourceID(key.name(), key.namespace()));
        }
    }

    /** Clock milliseconds until the policy's status may be written again; zero or less when it may be now. */
    long untilGapEnds(PolicyKey key) {
        return lastWriteMillis.getOrDefault(key, Long.MIN_VALUE / 2) + refresh.dividedBy(4).toMillis() - clock.millis();
    }

    void written(PolicyKey key) {
        lastWriteMillis.put(key, clock.millis());
    }

    /** When a quiet policy's status is looked at again, in real time. */
    Duration refresh() {
        return realDelay(refresh);
    }

    /** A span of the operator's clock in real time, for JOSDK's reschedule. */
    Duration realDelay(Duration onTheClock) {
        return Duration.ofMillis(clock.realDelayMillis(onTheClock));
    }
}
