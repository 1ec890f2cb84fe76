package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.ProfileType;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.IntOrString;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class ProfileSpec {
    @JsonPropertyDescription("Profile format: 'go' (pprof goroutine, debug=1 or 2), 'jvm' (jstack/jcmd text or Spring Boot Actuator threaddump) or 'none'. Default " + Defaults.PROFILE_TYPE + ".")
    private ProfileType type = Defaults.PROFILE_TYPE_VALUE;

    @JsonPropertyDescription("Container port serving the profile when it is not the metrics port (Go services often serve pprof on a port of its own; Spring Boot may serve the actuator on a management port): a port name or number. Default: spec.metrics.port. The host is always the pod's IP.")
    private IntOrString port;

    @Pattern("^/[^\\s]*$")
    @JsonPropertyDescription("HTTP path of the profile on the profile port. Defaults: go → " + Defaults.GO_PROFILE_PATH + ", jvm → " + Defaults.JVM_PROFILE_PATH + ".")
    private String path;

    @Min(1)
    @Max(20)
    @JsonPropertyDescription("How many of the fastest-growing goroutine/thread groups to report. Default " + Defaults.TOP_GROUPS + ".")
    private Integer topGroups = Defaults.TOP_GROUPS;

    public ProfileType getType() { return type; }
    public void setType(ProfileType type) { this.type = type; }
    public IntOrString getPort() { return port; }
    public void setPort(IntOrString port) { this.port = port; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public Integer getTopGroups() { return topGroups; }
    public void setTopGroups(Integer topGroups) { this.topGroups = topGroups; }
}
