package dev.leakguard.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The folder of the leakguard project the tests run in (Maven runs them there, but an IDE may not). */
public final class ProjectRoot {
    public static final Path PATH = find();

    private ProjectRoot() {
    }

    private static Path find() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("deploy"))) {
                return dir;
            }
        }
        throw new IllegalStateException("tests must run inside the leakguard project (no pom.xml + deploy/ found)");
    }
}
