package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** A key of a ConfigMap or Secret in the policy's namespace (prometheus-operator's ConfigMapKeySelector/SecretKeySelector). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KeySelector {
    @Required
    @JsonPropertyDescription("Name of the object, in the policy's namespace.")
    private String name;

    @Required
    @JsonPropertyDescription("Key in its data.")
    private String key;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getKey() { return key; }
    public void setKey(String key) { this.key = key; }
}
