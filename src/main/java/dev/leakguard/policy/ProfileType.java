package dev.leakguard.policy;

/**
 * The profile a pod serves ({@code spec.profile.type}): Go goroutine profiles, JVM thread dumps, or
 * none. Lower-case constants because they are the values users write in YAML.
 */
public enum ProfileType {
    go(Defaults.GO_PROFILE_PATH, "goroutines"),
    jvm(Defaults.JVM_PROFILE_PATH, "threads"),
    none("", "");

    private final String defaultPath;
    private final String unitNoun;

    ProfileType(String defaultPath, String unitNoun) {
        this.defaultPath = defaultPath;
        this.unitNoun = unitNoun;
    }

    /** The HTTP path that serves this profile when the policy names none; empty for {@link #none}. */
    public String defaultPath() {
        return defaultPath;
    }

    /** What one counted unit is called in messages: "goroutines" or "threads"; empty for {@link #none}. */
    public String unitNoun() {
        return unitNoun;
    }
}
