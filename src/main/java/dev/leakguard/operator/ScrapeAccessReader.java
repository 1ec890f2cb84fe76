package dev.leakguard.operator;

import dev.leakguard.policy.ScrapeAuth;
import dev.leakguard.scrape.ScrapeAccess;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * Reads the TLS CA and bearer token a policy names (and carries its enableCompression), at each reconcile (so rotated Secrets and the
 * kubelet-rotated projected token are picked up), with one {@code get} per object: the operator
 * needs no list or watch on Secrets, so a namespace may grant it {@code get} on the one Secret by
 * name. A missing object, a missing key or a refused read becomes an unusable access with a reason
 * that names the object and never its content.
 */
final class ScrapeAccessReader {
    /** Where the kubelet mounts the pod's projected ServiceAccount token (rotated in place). */
    static final Path IN_CLUSTER_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");
    static final String SECRET_ROLE_EXAMPLE = "deploy/app-namespace/role-scrape-credentials.yaml";

    private final KubernetesClient client;
    private final Path serviceAccountToken;

    ScrapeAccessReader(KubernetesClient client, Path serviceAccountToken) {
        this.client = client;
        this.serviceAccountToken = serviceAccountToken;
    }

    ScrapeAccess read(String namespace, ScrapeAuth auth) {
        if (auth.equals(ScrapeAuth.PLAIN_HTTP)) {
            return ScrapeAccess.PLAIN_HTTP;
        }
        try {
            ScrapeAccess.Tls tls = auth.https()
                    ? new ScrapeAccess.Tls(auth.ca() == null ? null : value(namespace, auth.ca()), auth.serverName(), auth.insecureSkipVerify())
                    : null;
            String token = auth.bearerToken() != null ? value(namespace, auth.bearerToken()).trim()
                    : auth.serviceAccountToken() ? ownToken() : null;
            return ScrapeAccess.of(tls, token).withCompression(auth.compression());
        } catch (IllegalArgumentException e) {
            return ScrapeAccess.unusable(auth.https(), e.getMessage());
        }
    }

    private String value(String namespace, ScrapeAuth.KeyRef ref) {
        String where = ref.kind() + " " + namespace + "/" + ref.name();
        Map<String, String> data;
        try {
            if (ref.kind() == ScrapeAuth.KeyRef.Kind.ConfigMap) {
                ConfigMap map = client.configMaps().inNamespace(namespace).withName(ref.name()).get();
                if (map == null) {
                    throw new IllegalArgumentException(where + " not found");
                }
                data = map.getData();
            } else {
                Secret secret = client.secrets().inNamespace(namespace).withName(ref.name()).get();
                if (secret == null) {
                    throw new IllegalArgumentException(where + " not found (or the operator may not get it: "
                            + SECRET_ROLE_EXAMPLE + " grants get on that Secret alone)");
                }
                data = secret.getData();
            }
        } catch (KubernetesClientException e) {
            throw new IllegalArgumentException(e.getCode() == 403
                    ? "the operator may not get " + where + ": grant get on it with a Role like " + SECRET_ROLE_EXAMPLE
                    : "cannot read " + where + ": HTTP " + e.getCode());
        }
        String value = data == null ? null : data.get(ref.key());
        if (value == null) {
            throw new IllegalArgumentException(where + " has no key '" + ref.key() + "'");
        }
        return ref.kind() == ScrapeAuth.KeyRef.Kind.Secret ? decode(where, value) : value;
    }

    private static String decode(String where, String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " holds a value that is not base64");
        }
    }

    private String ownToken() {
        try {
            return Files.readString(serviceAccountToken, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new IllegalArgumentException("the operator's ServiceAccount token " + serviceAccountToken + " cannot be read ("
                    + e.getClass().getSimpleName() + "); is automountServiceAccountToken off?");
        }
    }
}
