package dev.leakguard.operator;

import dev.leakguard.engine.PodKey;
import dev.leakguard.scrape.parse.SeriesSelector;

/**
 * The labels by which a Prometheus tells one pod's series from another's. Kubernetes service
 * discovery keeps them in {@code __meta_kubernetes_pod_name} and {@code __meta_kubernetes_namespace},
 * and the usual relabelling (kube-prometheus, the Prometheus Helm chart, cAdvisor metrics) copies
 * them to {@code pod} and {@code namespace}.
 */
public record PrometheusPodLabels(String pod, String namespace) {

    public PrometheusPodLabels {
        requireLabelName("pod label", pod);
        requireLabelName("namespace label", namespace);
        if (pod.equals(namespace)) {
            throw new IllegalArgumentException("the pod and namespace labels must differ, both are '" + pod + "'");
        }
    }

    public static PrometheusPodLabels defaults() {
        return new PrometheusPodLabels("pod", "namespace");
    }

    /** {@code selector} narrowed to the series of {@code pod}. */
    SeriesSelector select(SeriesSelector selector, PodKey pod) {
        return selector.withLabel(namespace, pod.namespace()).withLabel(this.pod, pod.name());
    }

    private static void requireLabelName(String what, String name) {
        if (!SeriesSelector.isLabelName(name)) {
            throw new IllegalArgumentException("the Prometheus " + what + " '" + name
                    + "' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not __name__)");
        }
    }
}
