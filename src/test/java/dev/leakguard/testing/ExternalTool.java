package dev.leakguard.testing;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real command-line tool the delivery tests run (promtool, kubectl). Missing on a developer
 * machine, the test is skipped with the install hint; missing in CI (env CI=true), it fails,
 * so CI can never pass by silently skipping.
 */
public record ExternalTool(Path executable) {

    public record Result(int exitCode, String output) {
    }

    public static ExternalTool require(String name, String installHint) {
        Optional<Path> found = onPath(name);
        String missing = name + " is not on the PATH; install it: " + installHint;
        if (found.isEmpty() && "true".equals(System.getenv("CI"))) {
            fail(missing + " (CI=true, so this test may not be skipped)");
        }
        assumeTrue(found.isPresent(), missing);
        return new ExternalTool(found.orElseThrow());
    }

    public static final String PROMTOOL_HINT = "apt-get install -y prometheus";

    public static ExternalTool promtool() {
        return require("promtool", PROMTOOL_HINT);
    }

    /** The Prometheus server itself, from the same Debian package as promtool. */
    public static ExternalTool prometheus() {
        return require("prometheus", PROMTOOL_HINT);
    }

    public static ExternalTool kubectl() {
        return require("kubectl", "kubectl >= 1.27 (kustomize v5), https://kubernetes.io/docs/tasks/tools/");
    }

    /**
     * Helm, built from its Go module by src/test/helm/build.sh (which {@code mvn verify} and .ci/run call)
     * into the same cache the script uses: {@code LEAKGUARD_HELM_CACHE} or ~/.cache/leakguard/helm.
     */
    public static ExternalTool helm() {
        Path module = ProjectRoot.PATH.resolve("src/test/helm");
        String version;
        try {
            Matcher m = Pattern.compile("(?m)^\\s*(?:require\\s+)?helm\\.sh/helm/v4\\s+(v\\S+)").matcher(Files.readString(module.resolve("go.mod")));
            version = m.find() ? m.group(1) : "unknown";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String cache = System.getenv("LEAKGUARD_HELM_CACHE");
        Path root = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "leakguard", "helm");
        Path helm = root.resolve("helm-" + version).resolve("helm");
        String missing = "helm " + version + " is not built at " + helm + "; build it: src/test/helm/build.sh";
        if (!Files.isExecutable(helm) && "true".equals(System.getenv("CI"))) {
            fail(missing + " (CI=true, so this test may not be skipped)");
        }
        assumeTrue(Files.isExecutable(helm), missing);
        return new ExternalTool(helm);
    }

    /** Runs the tool in {@code workDir} and returns its exit code with stdout and stderr merged. */
    public Result run(Path workDir, String... args) {
        return run(workDir, true, args);
    }

    /**
     * Runs the tool and returns its stdout alone when it succeeds (a tool that logs to stderr, as
     * Helm does, then still yields parseable output), with stderr appended when it fails.
     */
    public Result runForStdout(Path workDir, String... args) {
        return run(workDir, false, args);
    }

    private Result run(Path workDir, boolean mergeStderr, String... args) {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(List.of(args));
        try {
            // Output goes to files so that a hung tool cannot block us on a full pipe before the timeout.
            Path output = Files.createTempFile("leakguard-" + executable.getFileName(), ".out");
            Path errors = Files.createTempFile("leakguard-" + executable.getFileName(), ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command)
                        .directory(workDir.toFile())
                        .redirectErrorStream(mergeStderr)
                        .redirectOutput(output.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
                if (!mergeStderr) {
                    builder.redirectError(errors.toFile());
                }
                Process process = builder.start();
                if (!process.waitFor(2, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    fail("%s did not finish within 2 minutes", command);
                }
                String text = Files.readString(output, StandardCharsets.UTF_8);
                if (process.exitValue() != 0 && !mergeStderr) {
                    text += Files.readString(errors, StandardCharsets.UTF_8);
                }
                return new Result(process.exitValue(), text);
            } finally {
                Files.delete(output);
                Files.delete(errors);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The executable {@code name} on the PATH, if any. */
    public static Optional<Path> onPath(String name) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(Pattern.quote(java.io.File.pathSeparator))) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
