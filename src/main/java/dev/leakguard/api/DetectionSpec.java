package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.horizon) || !has(self.window) || duration(self.horizon) < duration(self.window)",
        message = "horizon must be shorter than window")
public class DetectionSpec {
    @Pattern(SpecPatterns.DURATION)
    @JsonPropertyDescription("Trend window: how much history the growth estimate uses. Default 30m.")
    private String window = "30m";

    @Pattern(SpecPatterns.DURATION)
    @JsonPropertyDescription("Growth this long after a container starts is ignored (caches filling, JIT). Default 5m.")
    private String warmup = "5m";

    @Pattern(SpecPatterns.DURATION)
    @JsonPropertyDescription("Act when the memory limit is predicted within this time. Must be shorter than window. Default 15m.")
    private String horizon = "15m";

    @Pattern("^$|^[0-9]+(\\.[0-9]+)?([eE][0-9]+|Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
    @JsonPropertyDescription("Memory limit to predict against, as a Kubernetes quantity (e.g. 512Mi). Empty: the scraped container's resources.limits.memory.")
    private String memoryLimit = "";

    public String getWindow() { return window; }
    public void setWindow(String window) { this.window = window; }
    public String getWarmup() { return warmup; }
    public void setWarmup(String warmup) { this.warmup = warmup; }
    public String getHorizon() { return horizon; }
    public void setHorizon(String horizon) { this.horizon = horizon; }
    public String getMemoryLimit() { return memoryLimit; }
    public void setMemoryLimit(String memoryLimit) { this.memoryLimit = memoryLimit; }
}
