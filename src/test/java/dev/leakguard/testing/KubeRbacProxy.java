package dev.leakguard.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/**
 * What kube-rbac-proxy does in front of a pod's metrics, against the real API server: HTTPS on the pod's
 * address; for each request the bearer token goes into a TokenReview (401 unless the server authenticates
 * it), the reviewed user and groups into a SubjectAccessReview for {@code get} on the non-resource URL
 * {@code /metrics} (kube-rbac-proxy's default without a resource-attributes config; 403 unless allowed),
 * and only then is the request passed to the upstream {@code /metrics} on plain HTTP. The reviews are
 * made as cluster admin, as the proxy's own ServiceAccount would with {@code system:auth-delegator}.
 */
public final class KubeRbacProxy implements AutoCloseable {
    private final HttpsServer server;
    private final KubernetesClient admin;
    private final URI upstream;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<Integer, Integer> answers = new ConcurrentHashMap<>();
    private final Set<String> authenticatedUsers = ConcurrentHashMap.newKeySet();

    /** Listens on {@code address} with the certificate of {@code tls}; {@code upstream} is the metrics URL it protects. */
    public KubeRbacProxy(InetSocketAddress address, SSLContext tls, KubernetesClient admin, URI upstream) {
        this.admin = admin;
        this.upstream = upstream;
        try {
            server = HttpsServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/metrics", this::handle);
        server.start();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization == null || !authorization.startsWith("Bearer ")) {
                answer(exchange, 401, "Unauthorized");
                return;
            }
            TokenReview review = admin.authentication().v1().tokenReviews().create(new TokenReviewBuilder()
                    .withNewSpec().withToken(authorization.substring("Bearer ".length())).endSpec().build());
            if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
                answer(exchange, 401, "Unauthorized");
                return;
            }
            UserInfo user = review.getStatus().getUser();
            authenticatedUsers.add(user.getUsername());
            SubjectAccessReview access = admin.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
                    .withNewSpec().withUser(user.getUsername()).withGroups(user.getGroups()).withUid(user.getUid()).withExtra(user.getExtra())
                    .withNewNonResourceAttributes().withPath("/metrics").withVerb("get").endNonResourceAttributes()
                    .endSpec().build());
            if (access.getStatus() == null || !Boolean.TRUE.equals(access.getStatus().getAllowed())) {
                answer(exchange, 403, "Forbidden (user=" + user.getUsername() + ", verb=get, resource=, subresource=)");
                return;
            }
            HttpResponse<byte[]> metrics = http.send(HttpRequest.newBuilder(upstream).build(), HttpResponse.BodyHandlers.ofByteArray());
            exchange.getResponseHeaders().set("Content-Type", metrics.headers().firstValue("Content-Type").orElse("text/plain"));
            answers.merge(metrics.statusCode(), 1, Integer::sum);
            exchange.sendResponseHeaders(metrics.statusCode(), metrics.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(metrics.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void answer(HttpExchange exchange, int status, String body) throws IOException {
        answers.merge(status, 1, Integer::sum);
        byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** How many requests were answered with {@code status}. */
    public int answered(int status) {
        return answers.getOrDefault(status, 0);
    }

    /** The users the API server authenticated from the tokens the proxy was sent. */
    public Set<String> authenticatedUsers() {
        return Set.copyOf(authenticatedUsers);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
