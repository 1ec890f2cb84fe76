package dev.leakguard.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.testing.LeakingEndpoint;
import dev.leakguard.testing.TestCertificates;
import java.net.URI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real TLS on loopback: what the name check, the token and a plain port look like to a pod owner. */
class HttpFetcherTlsTest {
    private static final TestCertificates.Authority CA = TestCertificates.authority("test-ca");
    private final HttpFetcher fetcher = new HttpFetcher(4);

    @AfterEach
    void close() {
        fetcher.close();
    }

    @Test
    void serverNameIsWhatTheCertificateMustNameAndItIsSentAsSni() {
        try (LeakingEndpoint endpoint = LeakingEndpoint.overTls(CA.serverContext("checkout.shop.svc"), "t0ken", System.currentTimeMillis(), 1, 0)) {
            URI uri = URI.create("https://127.0.0.1:" + endpoint.port() + "/metrics");

            FetchResult named = fetch(uri, ScrapeAccess.of(new ScrapeAccess.Tls(CA.pem(), "checkout.shop.svc", false), "t0ken"));
            FetchResult unnamed = fetch(uri, ScrapeAccess.of(new ScrapeAccess.Tls(CA.pem(), null, false), "t0ken"));
            FetchResult otherName = fetch(uri, ScrapeAccess.of(new ScrapeAccess.Tls(CA.pem(), "payments.shop.svc", false), "t0ken"));
            FetchResult noToken = fetch(uri, ScrapeAccess.of(new ScrapeAccess.Tls(CA.pem(), "checkout.shop.svc", false), null));

            assertThat(named).isInstanceOf(FetchResult.Success.class);
            assertThat(((FetchResult.Failure) unnamed).message())
                    .startsWith("TLS handshake failed: the pod's certificate does not name the pod IP (set spec.metrics.tlsConfig.serverName)");
            assertThat(((FetchResult.Failure) otherName).message())
                    .startsWith("TLS handshake failed: the pod's certificate does not name spec.metrics.tlsConfig.serverName");
            assertThat(((FetchResult.Failure) otherName).kind()).isEqualTo(FailureKind.TLS);
            assertThat(((FetchResult.Failure) noToken).message()).startsWith("HTTP status 401: the endpoint did not authenticate");
        }
    }

    @Test
    void httpsToAPlainHttpPortSaysSo() {
        try (LeakingEndpoint plain = new LeakingEndpoint(System.currentTimeMillis(), 1, 0, 0)) {
            FetchResult result = fetch(URI.create("https://127.0.0.1:" + plain.port() + "/metrics"),
                    ScrapeAccess.of(new ScrapeAccess.Tls(CA.pem(), null, false), null));
            // A plain HTTP server reads the ClientHello as the start of a request line and waits for the rest.
            assertThat(((FetchResult.Failure) result).message()).contains("does the port speak TLS?");
        }
    }

    @Test
    void httpsToAServerThatAnswersInPlainTextSaysSo() throws Exception {
        // What Go's net/http does with a ClientHello: it answers 400 in plain text at once.
        try (RawSocketServer server = new RawSocketServer((in, out) -> {
            in.read(new byte[512]);
            RawSocketServer.write(out, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
        })) {
            URI uri = URI.create(server.uri("/metrics").toString().replace("http:", "https:"));
            FetchResult result = fetch(uri, ScrapeAccess.of(new ScrapeAccess.Tls(CA.pem(), null, false), null));
            assertThat(((FetchResult.Failure) result).message()).startsWith("TLS handshake failed: the port does not speak TLS");
        }
    }

    @Test
    void unusableAccessSendsNothingAndTokensStayOutOfItsDescription() {
        FetchResult result = fetch(URI.create("https://127.0.0.1:9/metrics"), ScrapeAccess.unusable(true, "Secret shop/absent not found"));
        assertThat(result).isEqualTo(new FetchResult.Failure(FailureKind.CREDENTIALS, "Secret shop/absent not found", ((FetchResult.Failure) result).elapsed()));
        assertThat(ScrapeAccess.of(new ScrapeAccess.Tls(null, "a.b", false), "t0ken-value").toString()).doesNotContain("t0ken-value");
        assertThat(ScrapeAccess.unusable(true, "x").scheme()).as("the URL stays https while the Secret is missing").isEqualTo("https");
        assertThatThrownBy(() -> ScrapeAccess.of(new ScrapeAccess.Tls("not a certificate", null, false), null))
                .hasMessageStartingWith("the CA bundle");
        assertThatThrownBy(() -> ScrapeAccess.of(null, "two\nlines")).hasMessageNotContaining("two");
    }

    private FetchResult fetch(URI uri, ScrapeAccess access) {
        return fetcher.fetch(uri, FetchLimits.metricsDefaults(), access).join();
    }
}
