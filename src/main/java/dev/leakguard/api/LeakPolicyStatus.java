package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class LeakPolicyStatus {
    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Ready: the spec is valid and its pods are being watched (reason InvalidSpec when not).")
    private List<Condition> conditions;

    @PrinterColumn(name = "Watched")
    @JsonPropertyDescription("Pods selected and scraped.")
    private Integer watched;

    @PrinterColumn(name = "Leaking")
    @JsonPropertyDescription("Pods whose memory limit is predicted within the horizon.")
    private Integer leaking;

    @JsonPropertyDescription("Pods with significant growth whose limit is still beyond the horizon.")
    private Integer suspect;

    @JsonPropertyDescription("Pods whose metrics could not be read on the last attempt.")
    private Integer unknown;

    @PrinterColumn(name = "Restarts")
    @JsonPropertyDescription("Graceful restarts leakguard has performed for this policy.")
    private Integer restarts;

    @JsonPropertyDescription("Containers of watched pods that were OOM-killed anyway: each one is a miss.")
    private Integer oomKillsMissed;

    @JsonPropertyDescription("The riskiest pods first (leaking, then suspect, then unknown), at most 10.")
    private List<PodRisk> riskiestPods;

    @JsonPropertyDescription("Workloads with leaking replicas, soonest limit first, at most 10: their replicas are restarted by one plan.")
    private List<WorkloadRisk> leakingWorkloads;

    @JsonPropertyDescription("Settings that weaken what the operator checks, e.g. spec.metrics.tlsConfig.insecureSkipVerify.")
    private List<String> warnings;

    public List<WorkloadRisk> getLeakingWorkloads() { return leakingWorkloads; }
    public void setLeakingWorkloads(List<WorkloadRisk> leakingWorkloads) { this.leakingWorkloads = leakingWorkloads; }
    public List<String> getWarnings() { return warnings; }
    public void setWarnings(List<String> warnings) { this.warnings = warnings; }
    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
    public Integer getWatched() { return watched; }
    public void setWatched(Integer watched) { this.watched = watched; }
    public Integer getLeaking() { return leaking; }
    public void setLeaking(Integer leaking) { this.leaking = leaking; }
    public Integer getSuspect() { return suspect; }
    public void setSuspect(Integer suspect) { this.suspect = suspect; }
    public Integer getUnknown() { return unknown; }
    public void setUnknown(Integer unknown) { this.unknown = unknown; }
    public Integer getRestarts() { return restarts; }
    public void setRestarts(Integer restarts) { this.restarts = restarts; }
    public Integer getOomKillsMissed() { return oomKillsMissed; }
    public void setOomKillsMissed(Integer oomKillsMissed) { this.oomKillsMissed = oomKillsMissed; }
    public List<PodRisk> getRiskiestPods() { return riskiestPods; }
    public void setRiskiestPods(List<PodRisk> riskiestPods) { this.riskiestPods = riskiestPods; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof LeakPolicyStatus that)) return false;
        return Objects.equals(observedGeneration, that.observedGeneration)
                && Objects.equals(conditions, that.conditions)
                && Objects.equals(watched, that.watched) && Objects.equals(leaking, that.leaking)
                && Objects.equals(suspect, that.suspect) && Objects.equals(unknown, that.unknown)
                && Objects.equals(restarts, that.restarts) && Objects.equals(oomKillsMissed, that.oomKillsMissed)
                && Objects.equals(riskiestPods, that.riskiestPods) && Objects.equals(leakingWorkloads, that.leakingWorkloads)
                && Objects.equals(warnings, that.warnings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, watched, leaking, suspect, unknown, restarts,
                oomKillsMissed, riskiestPods, leakingWorkloads, warnings);
    }
}
