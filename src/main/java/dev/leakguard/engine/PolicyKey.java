package dev.leakguard.engine;

/** A LeakPolicy by namespace and name: how the loops, status and metrics refer to it. */
public record PolicyKey(String namespace, String name) {
    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
