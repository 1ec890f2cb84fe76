package dev.leakguard.testing;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/** Reading back the Events the operator wrote. */
public final class TestEvents {
    private TestEvents() {
    }

    /** The Events in {@code namespace} about the object named {@code name}. */
    public static List<Event> about(KubernetesClient client, String namespace, String name) {
        // Field selectors on involvedObject.name return nothing on the mock: filter here.
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }

    /** The Events in {@code namespace} with {@code reason}. */
    public static List<Event> withReason(KubernetesClient client, String namespace, String reason) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).toList();
    }
}
