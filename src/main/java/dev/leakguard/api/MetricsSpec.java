package dev.leakguard.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.leakguard.policy.Defaults;
import dev.leakguard.policy.Durations;
import dev.leakguard.policy.MetricsSource;
import dev.leakguard.policy.Scheme;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.tlsConfig) || (has(self.scheme) && self.scheme == 'https')", message = "tlsConfig needs scheme: https")
public class MetricsSpec {
    @JsonPropertyDescription("Where samples come from: 'pods' scrapes each pod directly; 'prometheus' queries a Prometheus-compatible HTTP API (prometheusUrl or the operator's --prometheus-url). Default " + Defaults.SOURCE + ".")
    private MetricsSource source = Defaults.SOURCE_VALUE;

    @Required
    @JsonPropertyDescription("Container port serving the metrics: a port name (e.g. 'metrics') or number. The host is always the pod's IP.")
    private IntOrString port;

    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @JsonPropertyDescription("Name of the container that serves the metrics port and whose memory limit counts, e.g. 'app'. Needed when a numeric port is not declared and the pod has more containers than one (a mesh proxy injected first, native sidecars); otherwise ports are searched in every container and native sidecar.")
    private String container;

    @Pattern("^/[^\\s]*$")
    @JsonPropertyDescription("HTTP path of the Prometheus text endpoint. Default " + Defaults.METRICS_PATH + ".")
    private String path = Defaults.METRICS_PATH;

    @Pattern(Durations.SYNTAX)
    @JsonPropertyDescription("Scrape interval, e.g. 15s. Default " + Defaults.INTERVAL + ".")
    private String interval = Defaults.INTERVAL;

    @JsonPropertyDescription("Series that approaches the memory limit: a metric name or a single-metric selector such as jvm_memory_used_bytes{area=\"heap\"}; matching series are summed. Default " + Defaults.MEMORY_SERIES + ".")
    private String memory = Defaults.MEMORY_SERIES;

    @JsonPropertyDescription("Optional thread/goroutine count series, e.g. go_goroutines or jvm_threads_live_threads; a second leak signal.")
    private String threads;

    @Pattern("^[hH][tT][tT][pP][sS]?://[^/@?#\\s]+(/[^?#\\s]*)?$")
    @JsonPropertyDescription("Base URL of the Prometheus HTTP API when source is 'prometheus', e.g. http://prometheus.monitoring:9090, without user info, query or fragment. Must be the operator's --prometheus-url or one of its --allowed-prometheus-urls (anything else makes the policy invalid and is never requested); empty: --prometheus-url.")
    private String prometheusUrl;

    @JsonPropertyDescription("http (default) or https, for the pods' metrics and profile endpoints.")
    private Scheme scheme;

    @JsonPropertyDescription("TLS settings when scheme is https: CA, server name, insecureSkipVerify.")
    private TlsConfig tlsConfig;

    @JsonPropertyDescription("Credentials sent to the pods' endpoints as a bearer token.")
    private Authorization authorization;

    @JsonPropertyDescription("Ask the pods for gzip-compressed metrics bodies (Accept-Encoding: gzip), as Prometheus' enable_compression does."
            + " Compression costs CPU on both sides (the pod compresses every body, the operator inflates it) and saves bytes on the wire;"
            + " false sends Accept-Encoding: identity, for pods in the operator's zone where traffic is free. Profiles are still asked for gzip."
            + " Default " + Defaults.ENABLE_COMPRESSION + ".")
    private Boolean enableCompression = Defaults.ENABLE_COMPRESSION;

    public Scheme getScheme() { return scheme; }
    public void setScheme(Scheme scheme) { this.scheme = scheme; }
    public TlsConfig getTlsConfig() { return tlsConfig; }
    public void setTlsConfig(TlsConfig tlsConfig) { this.tlsConfig = tlsConfig; }
    public Authorization getAuthorization() { return authorization; }
    public void setAuthorization(Authorization authorization) { this.authorization = authorization; }
    public Boolean getEnableCompression() { return enableCompression; }
    public void setEnableCompression(Boolean enableCompression) { this.enableCompression = enableCompression; }
    public MetricsSource getSource() { return source; }
    public void setSource(MetricsSource source) { this.source = source; }
    public IntOrString getPort() { return port; }
    public void setPort(IntOrString port) { this.port = port; }
    public String getContainer() { return container; }
    public void setContainer(String container) { this.container = container; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public String getInterval() { return interval; }
    public void setInterval(String interval) { this.interval = interval; }
    public String getMemory() { return memory; }
    public void setMemory(String memory) { this.memory = memory; }
    public String getThreads() { return threads; }
    public void setThreads(String threads) { this.threads = threads; }
    public String getPrometheusUrl() { return prometheusUrl; }
    public void setPrometheusUrl(String prometheusUrl) { this.prometheusUrl = prometheusUrl; }
}
