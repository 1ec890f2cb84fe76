package dev.leakguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.act.ObjectNames;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * JUnit 5 extension that gives a test class the real control plane ({@link ControlPlane}): one per test
 * JVM, shared by every class that registers this extension and stopped when the run ends.
 *
 * <pre>{@code @RegisterExtension static final RealKubernetes k8s = new RealKubernetes();}</pre>
 *
 * Without the binaries ({@code src/test/k8s/build.sh} not run) the class is skipped with a one-line
 * reason; with {@code CI=true} it fails instead, so CI cannot pass by skipping the real server.
 */
public final class RealKubernetes implements BeforeAllCallback {
    public static final Path GO_MODULE = ProjectRoot.PATH.resolve("src/test/k8s");
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(RealKubernetes.class);
    private static final Set<String> OPERATOR_RBAC_KINDS =
            Set.of("Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
    private static final AtomicInteger NAMESPACES = new AtomicInteger();

    private ControlPlane plane;

    @Override
    public void beforeAll(ExtensionContext context) {
        Started started = context.getRoot().getStore(STORE).getOrComputeIfAbsent(Started.class, k -> Started.start(), Started.class);
        if (started.failure != null) {
            throw started.failure;
        }
        plane = started.plane;
    }

    /** The Kubernetes release of the control plane in the suite, read from src/test/k8s/go.mod (e.g. v1.37.2). */
    public static String kubernetesVersion() {
        try {
            Matcher m = Pattern.compile("(?m)^\\s*(?:require\\s+)?k8s\\.io/kubernetes\\s+(v\\S+)")
                    .matcher(Files.readString(GO_MODULE.resolve("go.mod")));
            if (!m.find()) {
                throw new IllegalStateException("no k8s.io/kubernetes version in " + GO_MODULE.resolve("go.mod"));
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where build.sh puts the binaries: the same rule as the script. */
    public static Path binaries() {
        String cache = System.getenv("LEAKGUARD_CONTROL_PLANE_CACHE");
        Path root = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "leakguard", "control-plane");
        return root.resolve("kubernetes-" + kubernetesVersion());
    }

    public ControlPlane plane() {
        return plane;
    }

    public KubernetesClient admin() {
        return plane.admin();
    }

    /**
     * Deletes the operator-wide restart ledger that operators with leader election or shards keep in the operator's
     * namespace: the restarts of one test's operators (on a compressed clock, hours ahead) would count against the
     * operator-wide cap of the next test's.
     */
    public void deleteOperatorLedger() {
        admin().leases().inNamespace(ControlPlane.OPERATOR_NAMESPACE).withName(ObjectNames.OPERATOR_LEDGER).delete();
    }

    /**
     * Installs what {@code kubectl apply -k deploy/base} would for the operator's identity and API: the
     * LeakPolicy CRD from {@code crds/} (waited on until Established) and the Namespace, ServiceAccount and
     * RBAC objects exactly as kustomize renders them. Idempotent: the second caller finds them in place.
     */
    public synchronized void installLeakguard() {
        KubernetesClient admin = admin();
        CustomResourceDefinition crd = admin.getKubernetesSerialization().unmarshal(
                read(ProjectRoot.PATH.resolve("crds/leakpolicies.leakguard.dev-v1.yml")), CustomResourceDefinition.class);
        admin.apiextensions().v1().customResourceDefinitions().resource(crd).forceConflicts().serverSideApply();
        Poll.until(Duration.ofSeconds(30), () -> admin.apiextensions().v1().customResourceDefinitions()
                        .withName(crd.getMetadata().getName()).get(),
                c -> c.getStatus() != null && c.getStatus().getConditions().stream()
                        .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                "the LeakPolicy CRD to become Established");
        for (HasMetadata object : renderedBase()) {
            if (OPERATOR_RBAC_KINDS.contains(object.getKind())) {
                admin.resource(object).forceConflicts().serverSideApply();
            }
        }
    }

    /** The objects of deploy/base as kustomize renders them. */
    public static List<HasMetadata> renderedBase() {
        return rendered("deploy/base");
    }

    /** The objects of a kustomize folder of the project (e.g. an overlay) as kustomize renders them. */
    public static List<HasMetadata> rendered(String folder) {
        ExternalTool.Result rendered = ExternalTool.kubectl().run(ProjectRoot.PATH, "kustomize", folder);
        assertThat(rendered.exitCode()).as("kubectl kustomize %s: %s", folder, rendered.output()).isZero();
        return new KubernetesSerialization().unmarshal(rendered.output());
    }

    /** A real token of the operator's ServiceAccount (leakguard/leakguard); call {@link #installLeakguard()} first. */
    public String operatorToken() {
        return plane.token(ControlPlane.OPERATOR_NAMESPACE, ControlPlane.OPERATOR_SERVICE_ACCOUNT);
    }

    /** A client that is the operator as deployed: its ServiceAccount's token, its User-Agent, the real authorizer. */
    public KubernetesClient operatorClient() {
        return plane.client(operatorToken(), "leakguard/test");
    }

    /** A kubeconfig for an operator process (`leakguard run`), authenticating as the operator's ServiceAccount. */
    public Path operatorKubeconfig() {
        try {
            return plane.writeKubeconfig("leakguard-" + NAMESPACES.incrementAndGet(), operatorToken());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new namespace {@code prefix-N}, unique in this run, so test classes never see each other's objects. */
    public String namespace(String prefix) {
        String name = (prefix + "-" + NAMESPACES.incrementAndGet()).toLowerCase(Locale.ROOT);
        admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        return name;
    }

    /** kubectl as cluster admin against this control plane. */
    public ExternalTool.Result kubectl(String... args) {
        String[] withConfig = new String[args.length + 1];
        withConfig[0] = "--kubeconfig=" + plane.adminKubeconfig();
        System.arraycopy(args, 0, withConfig, 1, args.length);
        return ExternalTool.kubectl().run(ProjectRoot.PATH, withConfig);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shared outcome of starting the control plane: a running one, or why the classes must skip/fail. */
    private static final class Started implements AutoCloseable {
        private final ControlPlane plane;
        private final RuntimeException failure;

        private Started(ControlPlane plane, RuntimeException failure) {
            this.plane = plane;
            this.failure = failure;
        }

        static Started start() {
            Path binaries = binaries();
            if (!Files.isExecutable(binaries.resolve("kube-apiserver"))) {
                String missing = "no kube-apiserver in " + binaries + "; build the test control plane with src/test/k8s/build.sh";
                if ("true".equals(System.getenv("CI"))) {
                    return new Started(null, new IllegalStateException(missing + " (CI=true, so the real-API-server tests may not be skipped)"));
                }
                return new Started(null, new TestAbortedException(missing));
            }
            try {
                ControlPlane plane = ControlPlane.start(binaries, kubernetesVersion());
                // Surefire may end the JVM without closing the root store (a crash, a timeout): never leave etcd behind.
                Runtime.getRuntime().addShutdownHook(new Thread(plane::close, "control-plane-stop"));
                return new Started(plane, null);
            } catch (RuntimeException e) {
                return new Started(null, e);
            }
        }

        @Override
        public void close() {
            if (plane != null) {
                plane.close();
            }
        }
    }
}
