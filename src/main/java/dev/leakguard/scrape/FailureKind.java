package dev.leakguard.scrape;

/** Why a fetch failed; {@link #label()} is the stable value for metric labels and status reasons. */
public enum FailureKind {
    /** Connecting failed, the connection broke, or the peer did not speak HTTP. */
    CONNECTION("connection"),
    /** No complete response within the connect or total timeout. */
    TIMEOUT("timeout"),
    /** A status other than 2xx or 3xx. */
    HTTP_STATUS("http_status"),
    /** A 3xx answer; redirects are never followed, since the pod IP must stay the target. */
    REDIRECT("redirect"),
    /** The body, after decompression, is larger than allowed. */
    TOO_LARGE("too_large"),
    /** An unsupported or corrupt content encoding. */
    BAD_ENCODING("bad_encoding"),
    /** The TLS handshake failed: a certificate not trusted, expired or naming another host; a peer without TLS. */
    TLS("tls"),
    /** The policy's credentials or CA could not be read (a missing Secret, no right to read it): nothing was sent. */
    CREDENTIALS("credentials");

    private final String label;

    FailureKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
