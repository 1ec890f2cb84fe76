package dev.leakguard.engine;

/** {@code spec.metrics.port}: a container port by name, or by number (which need not be declared). */
public record MetricsPort(String name, int number) {

    public static MetricsPort named(String name) {
        return new MetricsPort(name, 0);
    }

    public static MetricsPort numbered(int number) {
        return new MetricsPort(null, number);
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
        return byName() ? "'" + name + "'" : String.valueOf(number);
    }
}
