package dev.leakguard.engine;

/** A pod by namespace and name: how the loops, status and metrics refer to it. */
public record PodKey(String namespace, String name) {
    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
