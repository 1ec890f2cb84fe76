package dev.leakguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Go program of the test suite (under {@code src/test/go}), built with the machine's Go into a cache
 * keyed by its sources, so a test runs the program itself rather than a simulation of it.
 */
public final class GoProgram {
    private GoProgram() {
    }

    /** The executable of the module in {@code src/test/go/<name>}, built now unless its sources are unchanged. */
    public static Path build(String name) {
        Path module = ProjectRoot.PATH.resolve("src/test/go").resolve(name);
        ExternalTool go = ExternalTool.require("go", "Go 1.26 (the polyglot machines have it)");
        Path binary = Path.of(System.getProperty("user.home"), ".cache", "leakguard", "go-programs", name + "-" + sourceHash(module));
        if (Files.isExecutable(binary)) {
            return binary;
        }
        try {
            Files.createDirectories(binary.getParent());
            Path log = Files.createTempFile("go-build-" + name, ".log");
            Process build = new ProcessBuilder(go.executable().toString(), "build", "-o", binary.toString(), ".").directory(module.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!build.waitFor(10, TimeUnit.MINUTES) || build.exitValue() != 0) {
                build.destroyForcibly();
                throw new IllegalStateException("go build of " + module + " failed:\n" + Files.readString(log));
            }
            Files.delete(log);
            return binary;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String sourceHash(Path module) {
        try (Stream<Path> files = Files.list(module)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            List<Path> sources = files.filter(p -> p.toString().endsWith(".go") || p.getFileName().toString().equals("go.mod")
                    || p.getFileName().toString().equals("go.sum")).sorted().toList();
            for (Path source : sources) {
                digest.update(source.getFileName().toString().getBytes());
                digest.update(Files.readAllBytes(source));
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
