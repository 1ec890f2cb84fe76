package dev.leakguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README is the front door: its quick start has exactly the two commands, and CI runs its test command. */
class ReadmeTest {
    @Test
    void quickStartHasTheDemoAndTheTestCommandAndCiRunsTheLatter() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("## Quick start");
        int end = readme.indexOf("\n## ", start + 1);
        List<String> commands = codeLines(readme.substring(start, end));
        assertThat(commands).containsExactly("mvn -B package -DskipTests && java -jar target/leakguard.jar demo", "mvn -B verify");
        assertThat(Files.readString(Path.of(".ci/run"))).containsPattern("(?m)^mvn -B verify$").doesNotContain("mvn -q");
    }

    private static List<String> codeLines(String markdown) {
        List<String> lines = new ArrayList<>();
        boolean inCode = false;
        for (String line : markdown.lines().toList()) {
            if (line.startsWith("```")) {
                inCode = !inCode;
            } else if (inCode && !line.isBlank()) {
                lines.add(line.strip());
            }
        }
        return lines;
    }
}
