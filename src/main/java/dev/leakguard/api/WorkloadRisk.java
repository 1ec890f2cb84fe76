package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * One workload with leaking replicas, as the status shows it: a leak lives in the code, so its replicas
 * usually leak in step and are restarted by one plan; this is the line a platform team reads first.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WorkloadRisk {
    @JsonPropertyDescription("The owning workload as Kind/name, e.g. Deployment/checkout-api.")
    private String workload;
    @JsonPropertyDescription("Replicas of the workload this policy watches.")
    private Integer watched;
    @JsonPropertyDescription("Replicas whose memory limit is predicted within the horizon.")
    private Integer leaking;
    @JsonPropertyDescription("Replicas with a clear rise whose limit is still beyond the horizon.")
    private Integer suspect;
    @JsonPropertyDescription("The soonest predicted time until a replica's limit, e.g. 14m.")
    private String timeToLimit;
    @JsonPropertyDescription("The soonest pessimistic time until a replica's limit, e.g. 9m.")
    private String timeToLimitLower;

    public String getWorkload() { return workload; }
    public void setWorkload(String workload) { this.workload = workload; }
    public Integer getWatched() { return watched; }
    public void setWatched(Integer watched) { this.watched = watched; }
    public Integer getLeaking() { return leaking; }
    public void setLeaking(Integer leaking) { this.leaking = leaking; }
    public Integer getSuspect() { return suspect; }
    public void setSuspect(Integer suspect) { this.suspect = suspect; }
    public String getTimeToLimit() { return timeToLimit; }
    public void setTimeToLimit(String timeToLimit) { this.timeToLimit = timeToLimit; }
    public String getTimeToLimitLower() { return timeToLimitLower; }
    public void setTimeToLimitLower(String timeToLimitLower) { this.timeToLimitLower = timeToLimitLower; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof WorkloadRisk that)) return false;
        return Objects.equals(workload, that.workload) && Objects.equals(watched, that.watched)
                && Objects.equals(leaking, that.leaking) && Objects.equals(suspect, that.suspect)
                && Objects.equals(timeToLimit, that.timeToLimit) && Objects.equals(timeToLimitLower, that.timeToLimitLower);
    }

    @Override
    public int hashCode() {
        return Objects.hash(workload, watched, leaking, suspect, timeToLimit, timeToLimitLower);
    }
}
