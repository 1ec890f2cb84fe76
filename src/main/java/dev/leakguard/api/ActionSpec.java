package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.leakguard.policy.ActionType;
import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.Durations;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class ActionSpec {
    @JsonPropertyDescription("Annotate (annotations and Events only), Evict (policy/v1 Eviction, honours PodDisruptionBudgets) or RolloutRestart (restart the owning Deployment/StatefulSet/DaemonSet like 'kubectl rollout restart'). Default " + Defaults.ACTION_TYPE + ".")
    private ActionType type = Defaults.ACTION_TYPE_VALUE;

    @JsonPropertyDescription("Decide, annotate and emit Events saying what would happen, but never evict or patch a workload. Default " + Defaults.DRY_RUN + ".")
    private Boolean dryRun = Defaults.DRY_RUN;

    @Min(1)
    @JsonPropertyDescription("Restarts in flight at once for this policy; a restart is in flight until the replacement pod is Ready. Default " + Defaults.MAX_CONCURRENT + ".")
    private Integer maxConcurrent = Defaults.MAX_CONCURRENT;

    @Pattern(Durations.SYNTAX)
    @JsonPropertyDescription("Minimum time between two restarts of the same owning workload. Default " + Defaults.COOLDOWN + ".")
    private String cooldown = Defaults.COOLDOWN;

    @Min(0)
    @JsonPropertyDescription("Most restarts this policy may start in any hour. Default " + Defaults.MAX_RESTARTS_PER_HOUR + ".")
    private Integer maxRestartsPerHour = Defaults.MAX_RESTARTS_PER_HOUR;

    public ActionType getType() { return type; }
    public void setType(ActionType type) { this.type = type; }
    public Boolean getDryRun() { return dryRun; }
    public void setDryRun(Boolean dryRun) { this.dryRun = dryRun; }
    public Integer getMaxConcurrent() { return maxConcurrent; }
    public void setMaxConcurrent(Integer maxConcurrent) { this.maxConcurrent = maxConcurrent; }
    public String getCooldown() { return cooldown; }
    public void setCooldown(String cooldown) { this.cooldown = cooldown; }
    public Integer getMaxRestartsPerHour() { return maxRestartsPerHour; }
    public void setMaxRestartsPerHour(Integer maxRestartsPerHour) { this.maxRestartsPerHour = maxRestartsPerHour; }
}
