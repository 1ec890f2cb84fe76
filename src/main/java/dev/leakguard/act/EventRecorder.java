package dev.leakguard.act;

import dev.leakguard.api.LeakPolicy;
import dev.leakguard.decide.EventReason;
import dev.leakguard.engine.EventSink;
import dev.leakguard.engine.PolicyRef;
import dev.leakguard.engine.ScrapeTarget;
import dev.leakguard.metrics.OperatorMetrics;
import dev.leakguard.text.BoundedText;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's one way to emit Kubernetes Events. Like kubectl's recorder it de-duplicates: the
 * same reason and message on the same object updates {@code count}/{@code lastTimestamp} of the
 * existing Event instead of creating a new one, and a per-object token bucket stops storms.
 * Delivery is asynchronous on one thread with a bounded queue, so a slow API server never stalls a
 * scrape loop; failures are logged and counted, never thrown.
 */
public final class EventRecorder implements EventSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
    private static final int REMEMBERED_EVENTS = 4096;
    private static final int BURST = 10;
    private static final long REFILL_MILLIS = 5 * 60_000L;

    private final KubernetesClient client;
    private final Clock clock;
    private final OperatorMetrics metrics;
    private final String component;
    private final String host;
    private final BackgroundWriter sender;
    private final Map<String, Recorded> recent = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Recorded> eldest) {
            return size() > REMEMBERED_EVENTS;
        }
    };
    private final Map<String, Bucket> buckets = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > REMEMBERED_EVENTS;
        }
    };
    private volatile Consumer<Event> listener = e -> { };

    public EventRecorder(KubernetesClient client, Clock clock, OperatorMetrics metrics, String component, String host) {
        this.client = client;
        this.clock = clock;
        this.metrics = metrics;
        this.component = component;
        this.host = host;
        this.sender = new BackgroundWriter("leakguard-events", 1000);
    }

    /** Called with every Event after it was delivered; the demo prints them as they happen. */
    public void onDelivered(Consumer<Event> listener) {
        this.listener = Objects.requireNonNull(listener);
    }

    public void record(HasMetadata involved, EventReason reason, String message) {
        record(new ObjectReferenceBuilder()
                .withApiVersion(involved.getApiVersion())
                .withKind(involved.getKind())
                .withName(involved.getMetadata().getName())
                .withNamespace(involved.getMetadata().getNamespace())
                .withUid(involved.getMetadata().getUid())
                .withResourceVersion(involved.getMetadata().getResourceVersion())
                .build(), reason, message);
    }

    @Override
    public void podEvent(ScrapeTarget pod, EventReason reason, String message) {
        record(new ObjectReferenceBuilder().withApiVersion("v1").withKind("Pod").withName(pod.pod().name())
                .withNamespace(pod.pod().namespace()).withUid(pod.podUid()).build(), reason, message);
    }

    @Override
    public void policyEvent(PolicyRef policy, EventReason reason, String message) {
        record(new ObjectReferenceBuilder().withApiVersion(HasMetadata.getApiVersion(LeakPolicy.class))
                .withKind(HasMetadata.getKind(LeakPolicy.class)).withName(policy.name()).withNamespace(policy.namespace())
                .withUid(policy.uid()).build(), reason, message);
    }

    private void record(ObjectReference involved, EventReason reason, String message) {
        String text = BoundedText.bounded(message, BoundedText.EVENT_MESSAGE_MAX_BYTES);
        String objectKey = involved.getKind() + "/" + involved.getNamespace() + "/" + involved.getName() + "/" + involved.getUid();
        long now = clock.millis();
        Recorded previous;
        synchronized (this) {
            previous = recent.get(objectKey + "|" + reason + "|" + text);
            if (!buckets.computeIfAbsent(objectKey, k -> new Bucket(now)).take(now)) {
                log.debug("event {} on {} suppressed by the storm limit: {}", reason, objectKey, text);
                metrics.event(reason.name(), reason.type(), false);
                return;
            }
        }
        if (!sender.offer(() -> deliver(involved, reason, text, objectKey, previous, now))) {
            log.warn("event queue full, dropped {} on {}: {}", reason, objectKey, text);
            metrics.event(reason.name(), reason.type(), false);
        }
    }

    private void deliver(ObjectReference involved, EventReason reason, String text, String objectKey, Recorded previous, long now) {
        String namespace = involved.getNamespace();
        String timestamp = DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(now - now % 1000));
        try {
            Event delivered = null;
            if (previous != null) {
                try {
                    int count = previous.count + 1;
                    // A merge patch of the two fields that change: one request, no read first.
                    delivered = client.v1().events().inNamespace(namespace).withName(previous.name)
                            .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(Map.of("count", count, "lastTimestamp", timestamp)));
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 404) {
                        throw e;
                    }
                }
            }
            if (delivered == null) {
                Event event = new EventBuilder()
                        .withNewMetadata()
                        .withGenerateName(involved.getName() + ".")
                        .withNamespace(namespace)
                        .endMetadata()
                        .withInvolvedObject(involved)
                        .withReason(reason.name())
                        .withType(reason.type())
                        .withMessage(text)
                        .withCount(1)
                        .withFirstTimestamp(timestamp)
                        .withLastTimestamp(timestamp)
                        .withNewSource(component, host)
                        .withReportingComponent(component)
                        .withReportingInstance(host)
                        .build();
                delivered = client.v1().events().inNamespace(namespace).resource(event).create();
            }
            synchronized (this) {
                recent.put(objectKey + "|" + reason + "|" + text,
                        new Recorded(delivered.getMetadata().getName(), delivered.getCount() == null ? 1 : delivered.getCount()));
            }
            metrics.event(reason.name(), reason.type(), true);
            listener.accept(delivered);
        } catch (RuntimeException e) {
            log.warn("could not write event {} on {}: {}", reason, objectKey, e.getMessage());
            metrics.event(reason.name(), reason.type(), false);
        }
    }

    /** Waits until every queued Event was delivered or dropped; for shutdown and tests. */
    public void flush(long timeoutMillis) {
        sender.flush(timeoutMillis);
    }

    @Override
    public void close() {
        sender.close();
    }

    private record Recorded(String name, int count) {
    }

    /** A token bucket on the operator's clock, so compressed demo time refills it too. */
    private static final class Bucket {
        private double tokens = BURST;
        private long lastMillis;

        Bucket(long now) {
            this.lastMillis = now;
        }

        boolean take(long now) {
            tokens = Math.min(BURST, tokens + (now - lastMillis) / (double) REFILL_MILLIS);
            lastMillis = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }
}
