package dev.leakguard.engine;

/**
 * {@code spec.metrics.port}: a container port by name, or by number (which need not be declared);
 * with {@code spec.metrics.container}, only that container's (null: any container's).
 */
public record MetricsPort(String name, int number, String container) {

    public static MetricsPort named(String name) {
        return new MetricsPort(name, 0, null);
    }

    public static MetricsPort numbered(int number) {
        return new MetricsPort(null, number, null);
    }

    /** This port, in the container named {@code containerName} only. */
    public MetricsPort inContainer(String containerName) {
        return new MetricsPort(name, number, containerName);
    }

    public boolean byName() {
        return name != null;
    }

    /** Whether a declared container port is this one. */
    public boolean matches(String portName, Integer portNumber) {
        return byName() ? name.equals(portName) : portNumber != null && portNumber == number;
    }

    /** For messages: {@code 'metrics'} or {@code 9090}. */
    @Override
    public String toString() {
        String port = byName() ? "'" + name + "'" : String.valueOf(number);
        return container == null ? port : port + " of container '" + container + "'";
    }
}
