package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.configMap) != has(self.secret)", message = "ca names exactly one of configMap and secret")
public class CaSource {
    @JsonPropertyDescription("ConfigMap key holding the PEM CA bundle; the cluster CA is configMap {name: kube-root-ca.crt, key: ca.crt}.")
    private KeySelector configMap;

    @JsonPropertyDescription("Secret key holding the PEM CA bundle.")
    private KeySelector secret;

    public KeySelector getConfigMap() { return configMap; }
    public void setConfigMap(KeySelector configMap) { this.configMap = configMap; }
    public KeySelector getSecret() { return secret; }
    public void setSecret(KeySelector secret) { this.secret = secret; }
}
