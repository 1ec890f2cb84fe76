package dev.leakguard.policy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Prometheus servers a policy may name in {@code spec.metrics.prometheusUrl}: the operator's
 * {@code --prometheus-url} and the URLs of {@code --allowed-prometheus-urls}, both set by whoever
 * installs the operator. Anything else is refused before a single request is sent, so that the right
 * to create a LeakPolicy is never the right to make the operator send GETs to an internal address
 * of one's choosing (SSRF). URLs are compared after normalisation (scheme and host lower-cased,
 * default port made explicit, trailing slash dropped); a host is compared as written, never resolved,
 * so {@code http://[::ffff:127.0.0.1]:9090} is not {@code http://127.0.0.1:9090}.
 */
public final class PrometheusUrlAllowList {
    public static final String DEFAULT_FLAG = "--prometheus-url";
    public static final String ALLOW_FLAG = "--allowed-prometheus-urls";

    private final String defaultUrl;
    /** Normalised form → the URL as the operator's admin wrote it. */
    private final Map<String, String> allowed = new LinkedHashMap<>();

    private PrometheusUrlAllowList(String defaultUrl) {
        this.defaultUrl = defaultUrl;
    }

    /**
     * @param defaultUrl the operator's {@code --prometheus-url}, or null
     * @param allowed    further URLs policies may name
     * @throws IllegalArgumentException naming the flag, when one of the operator's own URLs is unusable
     */
    public static PrometheusUrlAllowList of(String defaultUrl, Collection<String> allowed) {
        String trimmedDefault = defaultUrl == null || defaultUrl.isBlank() ? null : defaultUrl.trim();
        PrometheusUrlAllowList list = new PrometheusUrlAllowList(trimmedDefault);
        if (trimmedDefault != null) {
            list.allow(DEFAULT_FLAG, trimmedDefault);
        }
        for (String url : allowed) {
            if (url != null && !url.isBlank()) {
                list.allow(ALLOW_FLAG, url.trim());
            }
        }
        return list;
    }

    /** No server at all: every policy with {@code source: prometheus} is invalid. */
    public static PrometheusUrlAllowList none() {
        return of(null, List.of());
    }

    private void allow(String flag, String url) {
        String problem = problem(url);
        if (problem != null) {
            throw new IllegalArgumentException(flag + ": " + problem);
        }
        allowed.put(normalise(URI.create(url)), url);
    }

    /** The operator's {@code --prometheus-url}, or null. */
    public String defaultUrl() {
        return defaultUrl;
    }

    /**
     * The server a policy asking for {@code url} reads from: the allowed URL as the operator's admin
     * wrote it. Throws, with a message naming the flag, when {@code url} is not one of them.
     */
    public String permit(String url) {
        String problem = problem(url);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        String permitted = allowed.get(normalise(URI.create(url.trim())));
        if (permitted == null) {
            throw new IllegalArgumentException("'" + url + "' is not a Prometheus server the operator allows; "
                    + (allowed.isEmpty() ? "it allows none (set " + DEFAULT_FLAG + " or " + ALLOW_FLAG + ")"
                            : "ask its admin to add it to " + ALLOW_FLAG + ", or leave prometheusUrl empty to use " + DEFAULT_FLAG));
        }
        return permitted;
    }

    /** What makes {@code url} unusable as a Prometheus base URL, or null. */
    private static String problem(String url) {
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            return "'" + url + "' is not a URL: " + e.getReason();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "'" + url + "' must be an http or https URL";
        }
        if (uri.getHost() == null) {
            return "'" + url + "' has no host";
        }
        if (uri.getRawUserInfo() != null) {
            return "'" + redactUserInfo(uri) + "' must not carry user info (credentials in a URL end up in logs)";
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return "'" + url + "' must be a base URL without query or fragment";
        }
        return null;
    }

    private static String normalise(URI uri) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port + path;
    }

    private static String redactUserInfo(URI uri) {
        return uri.getScheme() + "://…@" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    }
}
