package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class LeakPolicySpec {
    @Required
    @ValidationRule(value = "(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",
            message = "selector must not be empty: name matchLabels or matchExpressions")
    @JsonPropertyDescription("Pods to watch, in the policy's own namespace. Must not be empty: a policy never selects every pod by accident.")
    private LabelSelector selector;

    @Required
    @JsonPropertyDescription("Where and what to scrape: the pods' metrics endpoint and the series that approach the memory limit.")
    private MetricsSpec metrics = new MetricsSpec();

    @JsonPropertyDescription("Optional goroutine/thread profile used to name the code that leaks.")
    private ProfileSpec profile = new ProfileSpec();

    @JsonPropertyDescription("How growth is judged: trend window, warm-up, prediction horizon and memory limit.")
    private DetectionSpec detection = new DetectionSpec();

    @JsonPropertyDescription("What to do when a pod is predicted to hit its limit within the horizon.")
    private ActionSpec action = new ActionSpec();

    public LabelSelector getSelector() { return selector; }
    public void setSelector(LabelSelector selector) { this.selector = selector; }
    public MetricsSpec getMetrics() { return metrics; }
    public void setMetrics(MetricsSpec metrics) { this.metrics = metrics; }
    public ProfileSpec getProfile() { return profile; }
    public void setProfile(ProfileSpec profile) { this.profile = profile; }
    public DetectionSpec getDetection() { return detection; }
    public void setDetection(DetectionSpec detection) { this.detection = detection; }
    public ActionSpec getAction() { return action; }
    public void setAction(ActionSpec action) { this.action = action; }
}
