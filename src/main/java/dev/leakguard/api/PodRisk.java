package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** One watched pod as the status shows it; numbers are rounded so that status is not rewritten every scrape. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodRisk {
    @JsonPropertyDescription("Pod name.")
    private String pod;
    @JsonPropertyDescription("insufficient_data, healthy, suspect, leaking or unknown (metrics unreadable).")
    private String verdict;
    @JsonPropertyDescription("Current memory of the watched series, e.g. 412Mi.")
    private String memory;
    @JsonPropertyDescription("Memory limit predicted against, e.g. 512Mi.")
    private String limit;
    @JsonPropertyDescription("Where limit comes from: 'policy spec.detection.memoryLimit', 'container status' (after an in-place resize), 'container spec' or 'pod spec.resources' (pod-level resources).")
    private String limitSource;
    @JsonPropertyDescription("Memory growth, e.g. 1.2Mi/min.")
    private String growth;
    @JsonPropertyDescription("Predicted time until the limit, e.g. 14m; absent when not approaching it.")
    private String timeToLimit;
    @JsonPropertyDescription("Pessimistic time until the limit (upper end of the growth rate's confidence interval), e.g. 9m; absent when not approaching it.")
    private String timeToLimitLower;
    @JsonPropertyDescription("Why the pod has this verdict, or the scrape error when unknown.")
    private String message;
    @JsonPropertyDescription("Fastest-growing goroutine/thread groups, when a profile is configured.")
    private List<String> topGroups = new ArrayList<>();
    @JsonPropertyDescription("Records the parser left out of the profile behind topGroups, e.g. 'skipped: 2 records (first at line 47: ...)'; absent when none.")
    private String profileSkipped;
    @JsonPropertyDescription("ConfigMap holding the evidence captured before a restart.")
    private String evidence;

    public String getPod() { return pod; }
    public void setPod(String pod) { this.pod = pod; }
    public String getVerdict() { return verdict; }
    public void setVerdict(String verdict) { this.verdict = verdict; }
    public String getMemory() { return memory; }
    public void setMemory(String memory) { this.memory = memory; }
    public String getLimit() { return limit; }
    public void setLimit(String limit) { this.limit = limit; }
    public String getLimitSource() { return limitSource; }
    public void setLimitSource(String limitSource) { this.limitSource = limitSource; }
    public String getGrowth() { return growth; }
    public void setGrowth(String growth) { this.growth = growth; }
    public String getTimeToLimit() { return timeToLimit; }
    public void setTimeToLimit(String timeToLimit) { this.timeToLimit = timeToLimit; }
    public String getTimeToLimitLower() { return timeToLimitLower; }
    public void setTimeToLimitLower(String timeToLimitLower) { this.timeToLimitLower = timeToLimitLower; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public List<String> getTopGroups() { return topGroups; }
    public void setTopGroups(List<String> topGroups) { this.topGroups = topGroups; }
    public String getProfileSkipped() { return profileSkipped; }
    public void setProfileSkipped(String profileSkipped) { this.profileSkipped = profileSkipped; }
    public String getEvidence() { return evidence; }
    public void setEvidence(String evidence) { this.evidence = evidence; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof PodRisk that)) return false;
        return Objects.equals(pod, that.pod) && Objects.equals(verdict, that.verdict)
                && Objects.equals(memory, that.memory) && Objects.equals(limit, that.limit) && Objects.equals(limitSource, that.limitSource)
                && Objects.equals(growth, that.growth) && Objects.equals(timeToLimit, that.timeToLimit)
                && Objects.equals(timeToLimitLower, that.timeToLimitLower)
                && Objects.equals(message, that.message) && Objects.equals(topGroups, that.topGroups)
                && Objects.equals(profileSkipped, that.profileSkipped) && Objects.equals(evidence, that.evidence);
    }

    @Override
    public int hashCode() {
        return Objects.hash(pod, verdict, memory, limit, limitSource, growth, timeToLimit, timeToLimitLower, message, topGroups, profileSkipped, evidence);
    }
}
