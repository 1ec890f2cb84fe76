package dev.leakguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every row of a failure table names a test that exists: a table pointing at a renamed or deleted
 * test would claim a defence nobody runs any more.
 */
class FailureTablesTest {
    /** `ClassTest` or `ClassTest#method`, or `#method` meaning the class named last in the same cell. */
    private static final Pattern TEST_REFERENCE = Pattern.compile("`(?:([A-Z][A-Za-z0-9]*Test))?(?:#([a-z][A-Za-z0-9]*))?`");

    @ParameterizedTest
    @ValueSource(strings = {"README.md", "docs/failures.md"})
    void everyRowNamesATestThatExists(String document) throws IOException {
        Map<String, Path> testSources = testSources();
        List<String> rows = failureRows(Files.readString(Path.of(document)));
        assertThat(rows).as(document + " failure table rows").isNotEmpty();
        List<String> missing = new ArrayList<>();
        for (String row : rows) {
            String[] cells = row.split("\\|");
            String testCell = cells[cells.length - 1];
            String lastClass = null;
            int references = 0;
            Matcher m = TEST_REFERENCE.matcher(testCell);
            while (m.find()) {
                String className = m.group(1) != null ? m.group(1) : lastClass;
                if (className == null) {
                    continue;
                }
                lastClass = className;
                references++;
                if (!exists(testSources, className, m.group(2))) {
                    missing.add(className + (m.group(2) == null ? "" : "#" + m.group(2)));
                }
            }
            assertThat(references).as("a test named in: " + row).isPositive();
        }
        assertThat(missing).as("tests named in " + document + " that do not exist").isEmpty();
    }

    /** The rows of tables whose last column is headed "Test". */
    private static List<String> failureRows(String markdown) {
        List<String> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : markdown.lines().toList()) {
            if (line.startsWith("|") && line.strip().endsWith("| Test |")) {
                inTable = true;
            } else if (!line.startsWith("|")) {
                inTable = false;
            } else if (inTable && !line.startsWith("|---")) {
                rows.add(line);
            }
        }
        return rows;
    }

    private static boolean exists(Map<String, Path> testSources, String className, String method) throws IOException {
        Path source = testSources.get(className);
        if (source == null) {
            return false;
        }
        if (method == null) {
            return true;
        }
        String fqcn = Path.of("src/test/java").relativize(source).toString().replace('/', '.').replaceAll("\\.java$", "");
        try {
            Method[] methods = Class.forName(fqcn).getDeclaredMethods();
            return Arrays.stream(methods).anyMatch(declared -> declared.getName().equals(method)
                    && Arrays.stream(declared.getAnnotations()).anyMatch(a -> a.annotationType().getSimpleName().matches("Test|Property|Example|ParameterizedTest|RepeatedTest")));
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static Map<String, Path> testSources() throws IOException {
        Map<String, Path> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
            files.filter(f -> f.getFileName().toString().endsWith("Test.java"))
                    .forEach(f -> sources.put(f.getFileName().toString().replace(".java", ""), f));
        }
        return sources;
    }
}
