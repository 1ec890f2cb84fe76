package dev.leakguard.policy;

/**
 * How a policy's pods are reached, as the spec names it (which objects hold the material, never the
 * material itself): {@code spec.metrics.scheme}, {@code tlsConfig} and {@code authorization}, and whether the
 * metrics are asked for gzip ({@code enableCompression}).
 *
 * @param ca                  where the CA bundle is, or null for the JVM's trusted roots
 * @param serverName          the name the pods' certificates must carry (and the TLS SNI), or null for the pod IP
 * @param bearerToken         the Secret key holding a bearer token, or null
 * @param serviceAccountToken send the operator's own ServiceAccount token
 * @param compression         ask for gzip-compressed metrics bodies
 */
public record ScrapeAuth(Scheme scheme, KeyRef ca, String serverName, boolean insecureSkipVerify, KeyRef bearerToken,
                         boolean serviceAccountToken, boolean compression) {

    public static final ScrapeAuth PLAIN_HTTP = new ScrapeAuth(Scheme.http, null, null, false, null, false, Defaults.ENABLE_COMPRESSION);

    /** One key of a ConfigMap or Secret in the policy's namespace. */
    public record KeyRef(Kind kind, String name, String key) {
        public enum Kind { ConfigMap, Secret }

        @Override
        public String toString() {
            return kind + " " + name + " key " + key;
        }
    }

    public boolean https() {
        return scheme == Scheme.https;
    }
}
