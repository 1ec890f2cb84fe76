package dev.leakguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The layering of DESIGN.md, read from the sources: each row names packages and what their code
 * must not refer to, by import or by a fully qualified name. A pure core (trend, profile, decide,
 * engine and the plain vocabulary it shares) knows neither the Kubernetes client nor JOSDK nor
 * HTTP; JOSDK stays in operator.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java/dev/leakguard");
    private static final List<String> CLIENTS = List.of("io.fabric8.", "io.javaoperatorsdk.", "java.net.http.");
    private static final List<String> EDGES = List.of("dev.leakguard.api.", "dev.leakguard.act.", "dev.leakguard.operator.",
            "dev.leakguard.kube.", "dev.leakguard.cli.", "dev.leakguard.demo.", "dev.leakguard.metrics.Micrometer");
    /** A reference to a class outside java.lang: an import, or a qualified name in code. */
    private static final Pattern REFERENCE = Pattern.compile("\\b((?:io|java|com|org|dev)\\.[a-z0-9_]+(?:\\.[A-Za-z0-9_]+)+)");

    static Stream<Arguments> rules() {
        return Stream.of(
                rule("the vocabulary and the text utility use the JDK only", Set.of("policy", "text"),
                        concat(CLIENTS, EDGES, List.of("dev.leakguard.trend.", "dev.leakguard.profile.", "dev.leakguard.decide.",
                                "dev.leakguard.engine.", "dev.leakguard.scrape.", "com.fasterxml."))),
                rule("trend and profile are pure", Set.of("trend", "profile"),
                        concat(CLIENTS, EDGES, List.of("dev.leakguard.decide.", "dev.leakguard.engine.", "dev.leakguard.scrape.",
                                "com.fasterxml."))),
                rule("decide is pure and knows no engine", Set.of("decide"),
                        concat(CLIENTS, EDGES, List.of("dev.leakguard.engine.", "dev.leakguard.scrape.", "com.fasterxml."))),
                rule("the engine reaches the cluster only through its ports", Set.of("engine"),
                        concat(CLIENTS, EDGES, List.of("dev.leakguard.scrape.Http", "dev.leakguard.scrape.Fetch", "com.fasterxml."))),
                rule("scrape and metrics know no Kubernetes", Set.of("scrape", "metrics"),
                        List.of("io.fabric8.", "io.javaoperatorsdk.", "dev.leakguard.operator.", "dev.leakguard.act.")),
                rule("JOSDK is used only in operator", Set.of("api", "act", "kube", "cli", "demo", "time"),
                        List.of("io.javaoperatorsdk.")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void packagesReferOnlyToWhatTheirLayerMay(String rule, Set<String> packages, List<String> forbidden) {
        List<String> violations = new ArrayList<>();
        for (String pkg : packages) {
            for (Path file : sources(MAIN.resolve(pkg))) {
                Matcher reference = REFERENCE.matcher(code(file));
                while (reference.find()) {
                    String name = reference.group(1);
                    if (forbidden.stream().anyMatch(name::startsWith)) {
                        violations.add(MAIN.relativize(file) + " refers to " + name);
                    }
                }
            }
        }
        assertThat(violations).as(rule).isEmpty();
        assertThat(packages).as("every package of the rule exists").allSatisfy(p -> assertThat(MAIN.resolve(p)).isDirectory());
    }

    private static Arguments rule(String name, Set<String> packages, List<String> forbidden) {
        return Arguments.of(name, packages, forbidden);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        return Stream.of(lists).flatMap(List::stream).toList();
    }

    private static List<Path> sources(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(f -> f.toString().endsWith(".java")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file without its comments, so that prose may name what code must not use. */
    private static String code(Path file) {
        try {
            return Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
