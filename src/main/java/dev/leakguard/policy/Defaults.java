package dev.leakguard.policy;

/**
 * Every default of a LeakPolicy, written once. The CRD classes initialise their fields from these
 * and their descriptions (what {@code kubectl explain} shows) quote them; the resolver falls back to
 * them for fields left empty; {@code leakguard analyze} and the detection and restart settings start
 * from them. {@code DefaultsTest} checks that all of these agree. The text and number constants are
 * compile-time constants so that annotations can quote them.
 */
public final class Defaults {
    public static final String SOURCE = "pods";
    public static final String METRICS_PATH = "/metrics";
    public static final boolean ENABLE_COMPRESSION = true;
    public static final String INTERVAL = "15s";
    public static final String MEMORY_SERIES = "process_resident_memory_bytes";

    public static final String PROFILE_TYPE = "none";
    public static final String GO_PROFILE_PATH = "/debug/pprof/goroutine?debug=1";
    public static final String JVM_PROFILE_PATH = "/actuator/threaddump";
    public static final int TOP_GROUPS = 5;

    public static final String WINDOW = "30m";
    public static final String WARMUP = "5m";
    public static final String HORIZON = "15m";

    public static final String ACTION_TYPE = "Annotate";
    public static final boolean DRY_RUN = false;
    public static final int MAX_CONCURRENT = 1;
    public static final String COOLDOWN = "10m";
    public static final int MAX_RESTARTS_PER_HOUR = 10;

    /** The enumerated defaults above as values, for code that needs the type rather than the text. */
    public static final MetricsSource SOURCE_VALUE = MetricsSource.valueOf(SOURCE);
    public static final ProfileType PROFILE_TYPE_VALUE = ProfileType.valueOf(PROFILE_TYPE);
    public static final ActionType ACTION_TYPE_VALUE = ActionType.valueOf(ACTION_TYPE);

    private Defaults() {
    }
}
