package dev.leakguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leakguard.deploy.Dockerfile.Instruction;
import dev.leakguard.deploy.Dockerfile.Stage;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Dockerfile, checked without a Docker engine. */
class DockerfileTest {

    private static final Pattern RUN_MOUNT = Pattern.compile("^((?:--\\S+\\s+)*)(.+)$");

    private final Dockerfile dockerfile = Dockerfile.parse(ProjectFiles.ROOT.resolve("Dockerfile"));
    private final Stage build = dockerfile.stages().get(0);
    private final Stage runtime = dockerfile.stages().get(dockerfile.stages().size() - 1);

    @Test
    void buildsWithMavenAndRunsOnAJre17() {
        assertThat(dockerfile.stages()).hasSize(2);
        assertThat(build.image()).isEqualTo("maven:3.9-eclipse-temurin-17");
        assertThat(build.name()).isEqualTo("build");
        assertThat(runtime.image()).isEqualTo("eclipse-temurin:17-jre");
    }

    @Test
    void buildStageRunsTheDocumentedBuildCommandWithAMavenCache() {
        assertThat(build.all("RUN")).singleElement().satisfies(run -> {
            Matcher parts = RUN_MOUNT.matcher(run.arguments());
            assertThat(parts.matches()).isTrue();
            assertThat(parts.group(1)).contains("--mount=type=cache,target=/root/.m2");
            assertThat(documentedBuildCommands()).isNotEmpty().containsOnly(parts.group(2));
        });
    }

    @Test
    void finalImageHoldsOnlyTheJarAndRunsAsANonRootUid() {
        assertThat(runtime.all("COPY")).singleElement()
                .extracting(Instruction::arguments)
                .isEqualTo("--from=" + build.name() + " /src/target/leakguard.jar /app/leakguard.jar");
        assertThat(runtime.all("ADD")).isEmpty();
        assertThat(runtime.all("RUN")).as("nothing installed or built in the final image").isEmpty();
        assertThat(runtime.all("USER")).singleElement().extracting(Instruction::arguments).isEqualTo("10001:10001");
        assertThat(runtime.all("ENTRYPOINT")).singleElement().extracting(Instruction::arguments)
                .isEqualTo("[\"java\", \"-jar\", \"/app/leakguard.jar\"]");
        assertThat(runtime.all("CMD")).singleElement().extracting(Instruction::arguments).isEqualTo("[\"run\"]");
    }

    @Test
    void buildStageBuildsWhereItCopiesTheJarFrom() {
        assertThat(build.all("WORKDIR")).singleElement().extracting(Instruction::arguments).isEqualTo("/src");
    }

    @Test
    void deploymentRunsTheImagesUidAndCommand() {
        Deployment deployment = ProjectFiles.manifest(ProjectFiles.BASE.resolve("deployment.yaml"), Deployment.class);
        var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);

        assertThat(container.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
        assertThat(container.getArgs().get(0)).isEqualTo("run");
    }

    @Test
    void dockerignoreSendsWhatTheBuildCopiesAndNothingElse() {
        List<String> patterns = Files.exists(ProjectFiles.ROOT.resolve(".dockerignore"))
                ? ProjectFiles.read(ProjectFiles.ROOT.resolve(".dockerignore")).lines()
                        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()
                : List.of();
        List<String> copied = new ArrayList<>();
        for (Instruction copy : build.all("COPY")) {
            String[] words = copy.arguments().split("\\s+");
            copied.addAll(List.of(words).subList(0, words.length - 1));
        }

        assertThat(copied).containsExactly("pom.xml", "src");
        copied.forEach(path -> assertThat(ignored(patterns, path)).as("%s reaches the build", path).isFalse());
        for (String path : List.of("target", "target/leakguard.jar", ".git", "deploy", "README.md")) {
            assertThat(ignored(patterns, path)).as("%s stays out of the build context", path).isTrue();
        }
    }

    /** Collects `mvn ... package ...` lines from the fenced code blocks of the README and docs. */
    private static List<String> documentedBuildCommands() {
        List<String> commands = new ArrayList<>();
        for (Path doc : List.of(ProjectFiles.ROOT.resolve("README.md"), ProjectFiles.ROOT.resolve("docs/install.md"))) {
            if (!Files.exists(doc)) {
                continue;
            }
            boolean inCode = false;
            for (String line : ProjectFiles.read(doc).lines().toList()) {
                if (line.strip().startsWith("```")) {
                    inCode = !inCode;
                } else if (inCode && line.strip().startsWith("mvn ") && line.contains(" package")) {
                    // "mvn … package && java -jar …" in the quick start: the build is the part before &&.
                    commands.add(line.strip().split("\\s*&&\\s*")[0]);
                }
            }
        }
        return commands;
    }

    /** Docker's rule: the last matching pattern wins, and a pattern also matches everything under a matched folder. */
    private static boolean ignored(List<String> patterns, String path) {
        boolean ignored = false;
        for (String pattern : patterns) {
            boolean negated = pattern.startsWith("!");
            var matcher = FileSystems.getDefault().getPathMatcher("glob:" + (negated ? pattern.substring(1) : pattern));
            for (Path prefix = Path.of(path); prefix != null; prefix = prefix.getParent()) {
                if (matcher.matches(prefix)) {
                    ignored = !negated;
                    break;
                }
            }
        }
        return ignored;
    }
}
