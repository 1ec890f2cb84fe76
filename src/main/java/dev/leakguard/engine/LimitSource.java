package dev.leakguard.engine;

/**
 * Where the memory limit a pod is predicted against comes from; status and Events name it, because
 * with in-place resizes and pod-level resources "the container's limit" is no longer one number.
 */
public enum LimitSource {
    /** {@code spec.detection.memoryLimit} of the policy. */
    POLICY("policy spec.detection.memoryLimit"),
    /** {@code status.containerStatuses[].resources}: what the kubelet enforces, after an in-place resize. */
    CONTAINER_STATUS("container status"),
    /** The container's {@code resources.limits}. */
    CONTAINER_SPEC("container spec"),
    /** The pod-level {@code spec.resources.limits}, shared by all its containers. */
    POD_SPEC("pod spec.resources");

    private final String label;

    LimitSource(String label) {
        this.label = label;
    }

    /** For status and messages, e.g. {@code container status}. */
    public String label() {
        return label;
    }
}
