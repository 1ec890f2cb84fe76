package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class ProfileSpec {
    @JsonPropertyDescription("Profile format: 'go' (pprof goroutine, debug=1 or 2), 'jvm' (jstack/jcmd text or Spring Boot Actuator threaddump) or 'none'. Default none.")
    private ProfileKind type = ProfileKind.none;

    @Pattern("^/[^\\s]*$")
    @JsonPropertyDescription("HTTP path of the profile on the metrics port. Defaults: go → /debug/pprof/goroutine?debug=1, jvm → /actuator/threaddump.")
    private String path;

    @Min(1)
    @Max(20)
    @JsonPropertyDescription("How many of the fastest-growing goroutine/thread groups to report. Default 5.")
    private Integer topGroups = 5;

    public ProfileKind getType() { return type; }
    public void setType(ProfileKind type) { this.type = type; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public Integer getTopGroups() { return topGroups; }
    public void setTopGroups(Integer topGroups) { this.topGroups = topGroups; }
}
