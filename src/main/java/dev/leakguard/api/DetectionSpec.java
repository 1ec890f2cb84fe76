package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.Durations;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.horizon) || !has(self.window) || duration(self.horizon) < duration(self.window)",
        message = "horizon must be shorter than window")
public class DetectionSpec {
    @Pattern(Durations.SYNTAX)
    @JsonPropertyDescription("Trend window: how much history the growth estimate uses. Default " + Defaults.WINDOW + ".")
    private String window = Defaults.WINDOW;

    @Pattern(Durations.SYNTAX)
    @JsonPropertyDescription("Growth this long after a container starts is ignored (caches filling, JIT). Default " + Defaults.WARMUP + ".")
    private String warmup = Defaults.WARMUP;

    @Pattern(Durations.SYNTAX)
    @JsonPropertyDescription("Act when the memory limit is predicted within this time. Must be shorter than window. Default " + Defaults.HORIZON + ".")
    private String horizon = Defaults.HORIZON;

    @Pattern("^$|^[0-9]+(\\.[0-9]+)?([eE][0-9]+|Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
    @JsonPropertyDescription("Memory limit to predict against, as a Kubernetes quantity (e.g. 512Mi). Empty: the scraped container's memory limit as its status reports it (after an in-place resize), else its spec's, else the pod-level spec.resources limit; status.riskiestPods[].limitSource says which.")
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
