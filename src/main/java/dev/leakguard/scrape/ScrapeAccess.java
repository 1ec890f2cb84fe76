package dev.leakguard.scrape;

import dev.leakguard.policy.Defaults;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What a fetch needs beyond the URL: the TLS trust of an https endpoint, the bearer token to send and whether
 * to ask for a gzip-compressed body, already read from wherever the policy keeps them — or why they could not be read, in which case
 * every fetch fails with that reason and nothing is sent. The token never appears in
 * {@link #toString()} nor in any message.
 */
public final class ScrapeAccess {
    public static final ScrapeAccess PLAIN_HTTP = new ScrapeAccess(false, null, null, Defaults.ENABLE_COMPRESSION, null);

    /**
     * The TLS side of an endpoint; equal settings share one SSL context and the kept-alive connections to a pod.
     *
     * @param caPem              PEM bundle the server's chain must end in, or null for the JVM's trusted roots
     * @param serverName         the name the certificate must carry, also sent as SNI, or null to check the URL's host
     * @param insecureSkipVerify accept any certificate
     */
    public record Tls(String caPem, String serverName, boolean insecureSkipVerify) {
    }

    private final boolean https;
    private final Tls tls;
    private final String bearerToken;
    private final boolean compression;
    private final String problem;

    private ScrapeAccess(boolean https, Tls tls, String bearerToken, boolean compression, String problem) {
        this.https = https;
        this.tls = tls;
        this.bearerToken = bearerToken;
        this.compression = compression;
        this.problem = problem;
    }

    /**
     * @param tls         null for plain http
     * @param bearerToken null for none
     * @throws IllegalArgumentException when the CA bundle holds no readable certificate or the server name is not a host name
     */
    public static ScrapeAccess of(Tls tls, String bearerToken) {
        if (tls != null) {
            if (tls.caPem() != null) {
                certificates(tls.caPem());
            }
            if (tls.serverName() != null) {
                new SNIHostName(tls.serverName());
            }
        }
        if (bearerToken != null && (bearerToken.isEmpty() || bearerToken.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
            throw new IllegalArgumentException("the bearer token is empty or holds characters a header cannot carry");
        }
        return new ScrapeAccess(tls != null, tls, bearerToken, Defaults.ENABLE_COMPRESSION, null);
    }

    /**
     * This access asking for gzip-compressed bodies ({@code Accept-Encoding: gzip}, the default) or for uncompressed
     * ones ({@code identity}), which saves the pod compressing and the operator inflating at the price of the bytes.
     */
    public ScrapeAccess withCompression(boolean compression) {
        return compression == this.compression ? this : new ScrapeAccess(https, tls, bearerToken, compression, problem);
    }

    /**
     * Credentials that could not be read: every fetch fails at once with {@code problem}. {@code https} keeps the
     * targets' URLs as they will be once the credentials can be read, so that their loops and history carry on.
     */
    public static ScrapeAccess unusable(boolean https, String problem) {
        return new ScrapeAccess(https, null, null, Defaults.ENABLE_COMPRESSION, Objects.requireNonNull(problem));
    }

    public Tls tls() {
        return tls;
    }

    /** The URL scheme this access is for. */
    public String scheme() {
        return https ? "https" : "http";
    }

    String bearerToken() {
        return bearerToken;
    }

    /** Whether bodies are asked for gzip-compressed. */
    public boolean compression() {
        return compression;
    }

    /** Why nothing may be fetched with this access, or null. */
    public String problem() {
        return problem;
    }

    /** An SSL context trusting what {@code tls} says. */
    static SSLContext sslContext(Tls tls) throws GeneralSecurityException {
        TrustManager[] trust;
        if (tls.insecureSkipVerify()) {
            trust = new TrustManager[] {new TrustingEveryCertificate()};
        } else if (tls.caPem() != null) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            try {
                store.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException(e);
            }
            int i = 0;
            for (Certificate certificate : certificates(tls.caPem())) {
                store.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            trust = factory.getTrustManagers();
        } else {
            trust = null;
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust, null);
        return context;
    }

    /**
     * A client engine for {@code host:port} that checks the certificate against {@code tls.serverName()} (also sent
     * as SNI) or else against {@code host}, an IP literal for a pod — unless {@code insecureSkipVerify}.
     */
    static SSLEngine clientEngine(SSLContext context, Tls tls, String host, int port) {
        SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        if (!tls.insecureSkipVerify()) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (tls.serverName() != null) {
            // The JDK checks the certificate against the SNI name when there is one, and sends none for an IP literal.
            parameters.setServerNames(List.of(new SNIHostName(tls.serverName())));
        }
        engine.setSSLParameters(parameters);
        return engine;
    }

    private static Collection<? extends Certificate> certificates(String pem) {
        try {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("the CA bundle holds no PEM certificate");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the CA bundle is not PEM certificates: " + e.getMessage());
        }
    }

    /** Same scheme, TLS settings, token, compression and problem: fetches under either go the same way. */
    @Override
    public boolean equals(Object other) {
        return other instanceof ScrapeAccess that && https == that.https && Objects.equals(tls, that.tls)
                && Objects.equals(bearerToken, that.bearerToken) && compression == that.compression
                && Objects.equals(problem, that.problem);
    }

    @Override
    public int hashCode() {
        return Objects.hash(https, tls, bearerToken, compression, problem);
    }

    @Override
    public String toString() {
        return problem != null ? "unusable (" + problem + ")"
                : scheme() + (tls == null ? "" : " " + (tls.insecureSkipVerify() ? "insecureSkipVerify" : tls.caPem() != null ? "own CA" : "system CAs")
                        + (tls.serverName() == null ? "" : " serverName " + tls.serverName()))
                        + (bearerToken == null ? "" : " with a bearer token")
                        + (compression ? "" : " without compression");
    }

    /** insecureSkipVerify: no chain, no name check (the name check lives in the trust manager too). */
    private static final class TrustingEveryCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
