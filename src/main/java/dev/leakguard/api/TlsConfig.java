package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** prometheus-operator's SafeTLSConfig, less client certificates. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!(has(self.insecureSkipVerify) && self.insecureSkipVerify && has(self.ca))",
        message = "insecureSkipVerify verifies nothing, so a ca would be ignored: set one or the other")
public class TlsConfig {
    @JsonPropertyDescription("CA bundle the pods' certificates must chain to. Default: the JVM's trusted roots.")
    private CaSource ca;

    @JsonPropertyDescription("Name the pods' certificates must carry, also sent as TLS SNI, e.g. checkout-api.shop.svc. Default: the pod IP.")
    private String serverName;

    @JsonPropertyDescription("Accept any certificate. Only when set explicitly; reported in the policy's status.")
    private Boolean insecureSkipVerify;

    public CaSource getCa() { return ca; }
    public void setCa(CaSource ca) { this.ca = ca; }
    public String getServerName() { return serverName; }
    public void setServerName(String serverName) { this.serverName = serverName; }
    public Boolean getInsecureSkipVerify() { return insecureSkipVerify; }
    public void setInsecureSkipVerify(Boolean insecureSkipVerify) { this.insecureSkipVerify = insecureSkipVerify; }
}
