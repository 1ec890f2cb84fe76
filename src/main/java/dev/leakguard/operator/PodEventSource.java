package dev.leakguard.operator;

import dev.leakguard.api.LeakPolicy;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's Pod informer, which also tells a listener of every pod change as it arrives — all
 * of them, before JOSDK's filters — so that what must see each change (OOM kills, pods that went
 * away) does not depend on reconciles, which coalesce changes and run only for some of them.
 */
final class PodEventSource extends InformerEventSource<Pod, LeakPolicy> {
    private static final Logger log = LoggerFactory.getLogger(PodEventSource.class);

    /** Called on the informer's thread: must be quick and must not block on the API server. */
    interface Listener {
        /** {@code oldPod} is null for a pod seen for the first time, {@code newPod} null for one deleted. */
        void podChanged(Pod oldPod, Pod newPod);
    }

    private final Listener listener;

    PodEventSource(InformerEventSourceConfiguration<Pod> configuration, EventSourceContext<LeakPolicy> context, Listener listener) {
        super(configuration, context);
        this.listener = listener;
    }

    @Override
    public void onAdd(Pod pod) {
        tell(null, pod);
        super.onAdd(pod);
    }

    @Override
    public void onUpdate(Pod oldPod, Pod newPod) {
        tell(oldPod, newPod);
        super.onUpdate(oldPod, newPod);
    }

    @Override
    public synchronized void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        tell(pod, null);
        super.onDelete(pod, deletedFinalStateUnknown);
    }

    private void tell(Pod oldPod, Pod newPod) {
        try {
            listener.podChanged(oldPod, newPod);
        } catch (RuntimeException e) {
            log.warn("a pod change could not be handled", e);
        }
    }
}
