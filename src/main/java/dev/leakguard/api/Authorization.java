package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.leakguard.policy.AuthorizationType;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.type) && self.type == 'ServiceAccount') != has(self.credentials)",
        message = "type Bearer needs credentials (the Secret key holding the token); type ServiceAccount sends the operator's own token and takes none")
public class Authorization {
    @JsonPropertyDescription("Bearer (default): the token in credentials. ServiceAccount: the operator's own ServiceAccount token, for endpoints behind kube-rbac-proxy.")
    private AuthorizationType type;

    @JsonPropertyDescription("Secret key holding the bearer token, in the policy's namespace. The operator needs get on that Secret (deploy/app-namespace/role-scrape-credentials.yaml).")
    private KeySelector credentials;

    public AuthorizationType getType() { return type; }
    public void setType(AuthorizationType type) { this.type = type; }
    public KeySelector getCredentials() { return credentials; }
    public void setCredentials(KeySelector credentials) { this.credentials = credentials; }
}
