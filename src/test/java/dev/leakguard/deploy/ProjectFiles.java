package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.leakguard.testing.ProjectRoot;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Reads the delivery files (deploy/, Dockerfile, docs) of the project the tests run in. */
final class ProjectFiles {

    static final Path ROOT = ProjectRoot.PATH;
    static final Path DEPLOY = ROOT.resolve("deploy");
    static final Path BASE = DEPLOY.resolve("base");
    static final Path EXAMPLES = DEPLOY.resolve("examples");
    static final Path SINGLE_NAMESPACE_OVERLAY = DEPLOY.resolve("overlays/single-namespace");
    static final Path ALERTS = DEPLOY.resolve("alerts");
    static final Path DASHBOARD = DEPLOY.resolve("grafana/leakguard-dashboard.json");
    /** Committed by the operator build; absent until the LeakPolicy API exists. */
    static final Path LEAKPOLICY_CRD = ROOT.resolve("crds/leakpolicies.leakguard.dev-v1.yml");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();

    private ProjectFiles() {
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A YAML file as a tree, for files that are not Kubernetes objects (rules, kustomizations). */
    static JsonNode yamlTree(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + ROOT.relativize(file), e);
        }
    }

    static JsonNode yamlTree(String text) {
        try {
            return YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode jsonTree(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + ROOT.relativize(file), e);
        }
    }

    /**
     * One Kubernetes object per file, typed by fabric8 from its apiVersion and kind (kinds fabric8
     * does not know become GenericKubernetesResource).
     */
    static HasMetadata manifest(Path file) {
        Object parsed = KUBERNETES.unmarshal(read(file));
        assertThat(parsed).as("%s holds one Kubernetes object", ROOT.relativize(file)).isInstanceOf(HasMetadata.class);
        return (HasMetadata) parsed;
    }

    static <T extends HasMetadata> T manifest(Path file, Class<T> type) {
        return type.cast(manifest(file));
    }

    /** The regular files directly inside a folder, sorted by name. */
    static List<Path> filesIn(Path folder) {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> yamlFilesIn(Path folder) {
        return filesIn(folder).stream()
                .filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
                .toList();
    }
}
