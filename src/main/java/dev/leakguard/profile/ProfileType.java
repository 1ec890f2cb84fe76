package dev.leakguard.profile;

/** The kind of profile a pod serves: Go goroutine profiles or JVM thread dumps. */
public enum ProfileType {
    GO("/debug/pprof/goroutine?debug=1", "goroutines"),
    JVM("/actuator/threaddump", "threads");

    private final String defaultPath;
    private final String unitNoun;

    ProfileType(String defaultPath, String unitNoun) {
        this.defaultPath = defaultPath;
        this.unitNoun = unitNoun;
    }

    /** The HTTP path that serves this profile when the policy names none. */
    public String defaultPath() {
        return defaultPath;
    }

    /** What one counted unit is called in messages: "goroutines" or "threads". */
    public String unitNoun() {
        return unitNoun;
    }
}
