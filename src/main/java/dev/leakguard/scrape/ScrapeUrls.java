package dev.leakguard.scrape;

import dev.leakguard.text.BoundedText;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Builds the URL of a pod's metrics or profile endpoint. The host is always the pod's IP — never a
 * name, and never anything taken from the path — so a policy cannot point the operator at another
 * host (an API server, a cloud metadata endpoint) through a crafted path.
 */
public final class ScrapeUrls {

    /** Longest accepted path, query included. */
    public static final int MAX_PATH_CHARS = 1024;

    private ScrapeUrls() {
    }

    /**
     * {@code http://<podIp>:<port><path>}, with brackets around an IPv6 address.
     *
     * @throws IllegalArgumentException if {@code podIp} is not an IPv4 or IPv6 literal, the port is
     *                                  outside 1..65535, or {@link #validatePath} rejects the path
     */
    public static URI build(String podIp, int port, String path) {
        return build("http", podIp, port, path);
    }

    /** Like {@link #build(String, int, String)} with {@code scheme} http or https. */
    public static URI build(String scheme, String podIp, int port, String path) {
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("scheme must be http or https, was " + BoundedText.quote(scheme));
        }
        String host = hostFor(podIp);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535, was " + port);
        }
        String pathProblem = validatePath(path);
        if (pathProblem != null) {
            throw new IllegalArgumentException(pathProblem);
        }
        URI uri = URI.create(scheme + "://" + host + ":" + port + path);
        if (!host.equals(uri.getHost()) || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("URL for pod IP " + BoundedText.quote(podIp) + " does not keep the pod IP as host");
        }
        return uri;
    }

    /**
     * Checks a scrape path such as {@code /metrics} or {@code /debug/pprof/goroutine?debug=1}.
     *
     * @return a message saying what is wrong, or null when the path is acceptable
     */
    public static String validatePath(String path) {
        if (path == null || path.isEmpty()) {
            return "path must not be empty";
        }
        if (path.length() > MAX_PATH_CHARS) {
            return "path is longer than " + MAX_PATH_CHARS + " characters";
        }
        if (path.charAt(0) != '/') {
            return "path must start with '/': " + BoundedText.quote(path);
        }
        if (path.startsWith("//")) {
            return "path must not start with '//', which would name a host: " + BoundedText.quote(path);
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (!isAllowed(c)) {
                return "path must not contain " + describe(c) + ": " + BoundedText.quote(path);
            }
            if (c == '%' && (i + 2 >= path.length() || !isHex(path.charAt(i + 1)) || !isHex(path.charAt(i + 2)))) {
                return "path has an invalid percent-encoding: " + BoundedText.quote(path);
            }
        }
        int queryStart = path.indexOf('?');
        String pathPart = queryStart < 0 ? path : path.substring(0, queryStart);
        String decoded = percentDecode(pathPart);
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '\\' || c == '@' || c == ' ') {
                return "path must not contain " + describe(c) + " even percent-encoded: " + BoundedText.quote(path);
            }
        }
        for (String segment : decoded.split("/", -1)) {
            if (segment.equals("..")) {
                return "path must not contain '..' segments: " + BoundedText.quote(path);
            }
        }
        return null;
    }

    private static String hostFor(String podIp) {
        if (podIp == null || podIp.isEmpty()) {
            throw new IllegalArgumentException("pod IP is empty");
        }
        if (isIpv4Literal(podIp)) {
            return podIp;
        }
        if (podIp.indexOf(':') >= 0 && podIp.chars().allMatch(c -> isHex((char) c) || c == ':' || c == '.')) {
            try {
                // A string with ':' is parsed as an IPv6 literal; it is never looked up in DNS.
                InetAddress address = InetAddress.getByName(podIp);
                return address instanceof Inet6Address
                        ? "[" + podIp.toLowerCase(Locale.ROOT) + "]"
                        : address.getHostAddress();
            } catch (UnknownHostException e) {
                throw notAnIp(podIp);
            }
        }
        throw notAnIp(podIp);
    }

    private static IllegalArgumentException notAnIp(String podIp) {
        return new IllegalArgumentException("pod IP " + BoundedText.quote(podIp) + " is not an IPv4 or IPv6 address");
    }

    /** Four decimal octets 0-255 without leading zeros (which some parsers read as octal). */
    private static boolean isIpv4Literal(String text) {
        String[] octets = text.split("\\.", -1);
        if (octets.length != 4) {
            return false;
        }
        for (String octet : octets) {
            if (octet.isEmpty() || octet.length() > 3 || (octet.length() > 1 && octet.charAt(0) == '0')
                    || !octet.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }

    /** RFC 3986 path and query characters, less '@' (userinfo tricks) and '#' (fragments mean nothing here). */
    private static boolean isAllowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-._~!$&'()*+,;=:/?%".indexOf(c) >= 0;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** Decodes %XX escapes to single chars; validity was checked before. */
    private static String percentDecode(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                out.append((char) Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String describe(char c) {
        if (c == ' ') {
            return "whitespace";
        }
        return c < 0x20 || c == 0x7f || Character.isWhitespace(c) || c > 0x7e
                ? String.format("character U+%04X", (int) c)
                : "'" + c + "'";
    }
}
