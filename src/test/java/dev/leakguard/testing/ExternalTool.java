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

    /** Runs the tool in {@code workDir} and returns its exit code with stdout and stderr merged. */
    public Result run(Path workDir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(List.of(args));
        try {
            // Output goes to a file so that a hung tool cannot block us on a full pipe before the timeout.
            Path output = Files.createTempFile("leakguard-" + executable.getFileName(), ".out");
            try {
                Process process = new ProcessBuilder(command)
                        .directory(workDir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .start();
                if (!process.waitFor(2, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    fail("%s did not finish within 2 minutes", command);
                }
                return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.delete(output);
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
