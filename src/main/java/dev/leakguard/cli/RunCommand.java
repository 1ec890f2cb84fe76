package dev.leakguard.cli;

import dev.leakguard.Main;
import dev.leakguard.metrics.HttpEndpoints;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.metrics.PodMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.operator.PrometheusPodLabels;
import dev.leakguard.policy.Durations;
import dev.leakguard.policy.PrometheusUrlAllowList;
import dev.leakguard.time.ScaledClock;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs the operator against a Kubernetes API server.",
            "Connects like every fabric8/kubectl tool: in-cluster service account, KUBECONFIG or ~/.kube/config; --master overrides the server."})
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--master", paramLabel = "URL", description = "API server URL, e.g. http://127.0.0.1:8001 (plain http is allowed for local servers).")
    String master;

    @Option(names = "--namespace", paramLabel = "NS", split = ",",
            description = "Watch only these namespaces (repeatable or comma-separated; default: all, or env LEAKGUARD_NAMESPACES).")
    List<String> namespaces;

    @Option(names = "--http-port", defaultValue = "8080", description = "Port for /metrics (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int httpPort;

    @Option(names = "--probe-port", defaultValue = "8081",
            description = "Port for /healthz and /readyz, served apart from /metrics so a slow render never fails a probe (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int probePort;

    @Option(names = "--leader-election", description = "Only the holder of the Lease scrapes and acts; run 2 replicas for HA.")
    boolean leaderElection;

    @Option(names = "--lease-namespace", paramLabel = "NS", description = "Namespace of the leader Lease (default: env POD_NAMESPACE).")
    String leaseNamespace;

    @Option(names = "--shards", paramLabel = "N", defaultValue = "1",
            description = "Split the pods into N shards by a hash of their UID; each replica scrapes and acts on the shards it holds a Lease"
                    + " for (leakguard-shard-<i>-of-<N> in --lease-namespace), at most ceil(N / live replicas). 1 (default): one"
                    + " replica works, the others wait (--leader-election). Set it to the replica count or a multiple of it.")
    int shards;

    @Option(names = "--max-restarts-per-hour", defaultValue = "" + LeakguardOperator.Settings.MAX_RESTARTS_PER_HOUR, description = "Operator-wide cap on restarts per hour, over all policies (default ${DEFAULT-VALUE}).")
    int maxRestartsPerHour;

    @Option(names = "--lease-duration", paramLabel = "DURATION", defaultValue = "15s",
            description = "How long the leader's Lease holds without renewal: the longest a leader change takes (default ${DEFAULT-VALUE}).")
    String leaseDuration;

    @Option(names = "--save-samples-every", paramLabel = "DURATION", defaultValue = "2m",
            description = "How often the leader saves its pods' recent samples (source: pods) to a ConfigMap per policy, so that a new"
                    + " leader resumes at once (default ${DEFAULT-VALUE}).")
    String saveSamplesEvery;

    @Option(names = PrometheusUrlAllowList.DEFAULT_FLAG, paramLabel = "URL", description = "Prometheus HTTP API for policies with metrics.source: prometheus and no prometheusUrl.")
    String prometheusUrl;

    @Option(names = PrometheusUrlAllowList.ALLOW_FLAG, paramLabel = "URL", split = ",",
            description = "Further Prometheus HTTP APIs a policy may name in spec.metrics.prometheusUrl (repeatable or comma-separated). "
                    + "Any other prometheusUrl makes the policy invalid and is never requested.")
    List<String> allowedPrometheusUrls;

    @Option(names = "--prometheus-pod-label", paramLabel = "LABEL", defaultValue = "pod",
            description = "Label holding the pod name on series read from Prometheus (default ${DEFAULT-VALUE}).")
    String prometheusPodLabel;

    @Option(names = "--prometheus-namespace-label", paramLabel = "LABEL", defaultValue = "namespace",
            description = "Label holding the namespace on series read from Prometheus (default ${DEFAULT-VALUE}).")
    String prometheusNamespaceLabel;

    @Option(names = PodMetrics.FLAG, paramLabel = "all|at-risk|none", defaultValue = PodMetrics.DEFAULT_FLAG_VALUE,
            description = "Which pods get leakguard_pod_* series on /metrics: all, none, or at-risk: pods judged suspect or leaking"
                    + " now or within the last hour, which keeps /metrics small at thousands of pods (default ${DEFAULT-VALUE}).")
    String podMetrics;

    /** The API server cannot be used: one line naming it and why, not a stack trace after fabric8's retries. */
    static final int EXIT_UNREACHABLE = 1;

    @Override
    public Integer call() throws Exception {
        // Flags first: a typo is refused before any connection is tried.
        PrometheusPodLabels prometheusLabels;
        PrometheusUrlAllowList prometheusServers;
        Duration saveEvery;
        Duration lease;
        PodMetrics podSeries;
        LeakguardOperator.Settings.Builder settings = LeakguardOperator.Settings.builder();
        try {
            prometheusLabels = new PrometheusPodLabels(prometheusPodLabel, prometheusNamespaceLabel);
            prometheusServers = PrometheusUrlAllowList.of(prometheusUrl, allowedPrometheusUrls == null ? List.of() : allowedPrometheusUrls);
            saveEvery = positive("--save-samples-every", saveSamplesEvery);
            lease = positive("--lease-duration", leaseDuration);
            podSeries = PodMetrics.parse(podMetrics);
            settings.shards(shards).maxRestartsPerHour(maxRestartsPerHour);
        } catch (IllegalArgumentException e) {
            System.err.println("leakguard: " + e.getMessage());
            return 2;
        }
        Config config = Config.autoConfigure(null);
        if (master != null) {
            String problem = masterProblem(master);
            if (problem != null) {
                System.err.println("leakguard: --master " + problem);
                return EXIT_UNREACHABLE;
            }
            config = new ConfigBuilder(config).withMasterUrl(master).build();
        }
        String unreachable = unreachable(config.getMasterUrl(), config.getConnectionTimeout());
        if (unreachable != null) {
            System.err.println("leakguard: cannot reach the API server at " + config.getMasterUrl() + ": " + unreachable);
            return EXIT_UNREACHABLE;
        }
        config.setUserAgent(LeakguardOperator.USER_AGENT_PREFIX + Main.version());
        Set<String> watched = new LinkedHashSet<>();
        if (namespaces != null) {
            watched.addAll(namespaces);
        } else if (System.getenv("LEAKGUARD_NAMESPACES") != null && !System.getenv("LEAKGUARD_NAMESPACES").isBlank()) {
            Arrays.stream(System.getenv("LEAKGUARD_NAMESPACES").split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(watched::add);
        }
        settings.namespaces(watched)
                .prometheusServers(prometheusServers)
                .prometheusLabels(prometheusLabels)
                .saveSamplesEvery(saveEvery)
                .leaseDuration(lease)
                .podMetrics(podSeries);
        if (leaderElection || shards > 1) {
            String flag = shards > 1 ? "--shards" : "--leader-election";
            String leaseNs = leaseNamespace != null ? leaseNamespace : System.getenv("POD_NAMESPACE");
            if (leaseNs == null || leaseNs.isBlank()) {
                System.err.println("leakguard: " + flag + " needs --lease-namespace or env POD_NAMESPACE");
                return 2;
            }
            String identity = System.getenv("HOSTNAME");
            if (shards > 1 && (identity == null || identity.isBlank())) {
                System.err.println("leakguard: --shards needs env HOSTNAME (the pod's name) to tell the replicas apart");
                return 2;
            }
            settings.leaderElection(leaseNs, identity, true);
        }
        MicrometerOperatorMetrics metrics = new MicrometerOperatorMetrics(Main.version());
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        LeakguardOperator operator = new LeakguardOperator(client, ScaledClock.system(), metrics, settings.build());
        HttpEndpoints http = new HttpEndpoints("0.0.0.0", httpPort, probePort, metrics::scrape, operator::live, operator::ready);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            operator.close();
            http.close();
            client.close();
            stopped.countDown();
        }, "leakguard-shutdown"));
        System.out.println("leakguard " + Main.version() + " watching " + (watched.isEmpty() ? "all namespaces" : watched)
                + " on " + config.getMasterUrl() + "; /metrics on :" + http.port() + ", probes on :" + http.probePort());
        operator.start();
        stopped.await();
        return 0;
    }

    private static Duration positive(String flag, String text) {
        Duration value = Durations.parse(text);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(flag + " must be positive, got " + text);
        }
        return value;
    }

    /** Why {@code url} is no API server URL, or null. */
    static String masterProblem(String url) {
        try {
            URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                return "'" + url + "' is not an http(s) URL such as https://10.0.0.1:6443";
            }
            return null;
        } catch (URISyntaxException e) {
            return "'" + url + "' is not a URL: " + e.getReason();
        }
    }

    /**
     * Why no TCP connection to the server opens within the client's connect timeout, or null. Checked
     * before the operator starts because the client retries for about 20 s and then fails with a
     * stack trace that never names the host.
     */
    static String unreachable(String url, int connectTimeoutMillis) {
        URI uri = URI.create(url);
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), port), Math.max(1, connectTimeoutMillis));
            return null;
        } catch (UnknownHostException e) {
            return "unknown host " + uri.getHost();
        } catch (SocketTimeoutException e) {
            return "no answer within " + Durations.format(Duration.ofMillis(connectTimeoutMillis));
        } catch (IOException e) {
            return e.getMessage();
        }
    }
}
