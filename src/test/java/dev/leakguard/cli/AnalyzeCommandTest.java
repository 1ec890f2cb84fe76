package dev.leakguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnalyzeCommandTest {

    @TempDir
    Path directory;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path write(String content) throws IOException {
        return Files.writeString(directory.resolve("trace.csv"), content);
    }

    private static Path recorded(String name) throws URISyntaxException {
        return Path.of(AnalyzeCommandTest.class.getResource("/traces/" + name).toURI());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "empty file||line 1: empty file",
        "missing header|1,100\\n2,200|line 1: header must name columns timestamp_seconds and memory_bytes",
        "non-numeric value|timestamp_seconds,memory_bytes\\n1,100\\n2,abc|line 3: memory_bytes 'abc' is not a number",
        "unsorted timestamps|timestamp_seconds,memory_bytes\\n5,100\\n4,200|line 3: timestamps must increase",
        "missing cell|timestamp_seconds,memory_bytes,threads\\n1,100,3\\n2|line 3: missing column memory_bytes",
        "header only|timestamp_seconds,memory_bytes|line 1: no samples after the header",
        "negative memory|timestamp_seconds,memory_bytes\\n1,-5|line 2: memory_bytes must not be negative"})
    void badInputIsOneLineNamingTheLineWithExitCode2(String name, String content, String message) throws IOException {
        Path input = write(content == null ? "" : content.replace("\\n", "\n"));
        CliRun run = run("analyze", "--input", input.toString(), "--memory-limit", "512Mi");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains(message);
        assertThat(run.err().strip().lines()).hasSize(1);
        assertThat(run.out()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"--memory-limit, 512MB, invalid quantity '512MB'", "--memory-limit, 512m, 'm' means milli",
        "--window, 30, invalid duration '30'", "--output, yaml, --output must be text or json"})
    void badOptionsExitWith2(String option, String value, String message) throws IOException {
        Path input = write("timestamp_seconds,memory_bytes\n1,100\n");
        String[] args = option.equals("--memory-limit")
                ? new String[] {"analyze", "--input", input.toString(), option, value}
                : new String[] {"analyze", "--input", input.toString(), "--memory-limit", "1Gi", option, value};
        CliRun run = run(args);
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains(message);
    }

    @Test
    void missingFileExitsWith2() {
        CliRun run = run("analyze", "--input", directory.resolve("absent.csv").toString(), "--memory-limit", "1Gi");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("no such file");
    }

    @Test
    void recordedGoGoroutineLeakWouldBeRestartedBeforeItsLimit() throws Exception {
        // Recorded at one sample per second (src/test/go/record-redisleak.sh); settings scaled to match.
        CliRun run = run("analyze", "--input", recorded("go-redis-client-per-request.csv").toString(),
                "--memory-limit", "60Mi", "--interval", "1s", "--window", "2m", "--warmup", "20s", "--horizon", "1m",
                "--output", "json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("verdict").asText()).isEqualTo("leaking");
        assertThat(json.get("actionAtSeconds").isNumber()).isTrue();
        assertThat(json.get("memoryGrowthBytesPerSecond").asDouble()).isPositive();
        assertThat(json.get("threadGrowthPerSecond").asDouble()).isPositive();
        assertThat(json.get("samples").asInt()).isEqualTo(673);
        double firstTimestamp = Double.parseDouble(Files.readAllLines(recorded("go-redis-client-per-request.csv")).get(1)
                .split(",")[0]);
        double limitReached = firstReachOf(recorded("go-redis-client-per-request.csv"), 60 * 1024 * 1024);
        assertThat(json.get("actionAtSeconds").asDouble()).isBetween(firstTimestamp, limitReached);
        // A point estimate, not bounded by the 1 m horizon: 77 s of the 125 s really left (round 9; 0.5 × before).
        double secondsLeft = limitReached - json.get("actionAtSeconds").asDouble();
        assertThat(json.get("secondsToLimitAtAction").asDouble()).isBetween(0.5 * secondsLeft, secondsLeft);
    }

    private static double firstReachOf(Path csv, double limit) throws IOException {
        return Files.readAllLines(csv).stream().skip(1).map(line -> line.split(","))
                .filter(cells -> Double.parseDouble(cells[1]) >= limit)
                .mapToDouble(cells -> Double.parseDouble(cells[0])).findFirst().orElse(Double.POSITIVE_INFINITY);
    }

    @Test
    void recordedHealthyServiceIsNotRestarted() throws Exception {
        CliRun run = run("analyze", "--input", recorded("go-redis-shared-client.csv").toString(), "--memory-limit", "20Mi",
                "--interval", "1s", "--window", "2m", "--warmup", "20s", "--horizon", "1m", "--output", "json");
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("verdict").asText()).isNotEqualTo("leaking");
        assertThat(json.get("actionAtSeconds").isNull()).isTrue();
        assertThat(json.get("secondsToLimitAtAction").isNull()).isTrue();
        // Named for what it is: a p-value, large for a series that does not rise (as 1 − p it read 0.956 here).
        assertThat(json.has("significance")).isFalse();
        assertThat(json.get("memoryRisePValue").asDouble()).as(run.out()).isGreaterThan(0.01);
    }

    @Test
    void textOutputSummarisesAndHonoursRenamedColumns() throws IOException {
        StringBuilder csv = new StringBuilder("time,timestamp_seconds,rss,goroutines\n");
        for (int t = 0; t < 3600; t += 15) {
            csv.append("x,").append(t).append(',').append(300_000_000 + 50_000L * t + (t % 60) * 100_000L).append(",")
                    .append(20 + t / 30).append('\n');
        }
        Path input = write(csv.toString());
        CliRun run = run("analyze", "--input", input.toString(), "--memory-limit", "500M", "--memory-column", "rss",
                "--threads-column", "goroutines");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("verdict: leaking").containsPattern("would restart at \\+[0-9hms]+, ")
                .contains("samples: 240");

        CliRun missing = run("analyze", "--input", input.toString(), "--memory-limit", "500M", "--memory-column", "rss",
                "--threads-column", "threads");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("line 1: header has no threads column 'threads'");
    }

    @Test
    void aSeriesThatCrossesItsLimitUnseenReadsAsAMissedOomKill() throws IOException {
        // Flat for an hour, then a jump past the limit: no trend to see, and the report must not read like good news.
        StringBuilder csv = new StringBuilder("timestamp_seconds,memory_bytes\n");
        for (int t = 0; t <= 3600; t += 15) {
            csv.append(1_795_000_000 + t).append(',').append(t < 3500 ? 200_000_000 + (t % 60) * 100_000 : 600_000_000).append('\n');
        }
        CliRun run = run("analyze", "--input", write(csv.toString()).toString(), "--memory-limit", "512Mi");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("no restart would have been triggered")
                .contains("limit 512Mi crossed at 2026-11-18 12:05:10Z (+58m30s): an OOM kill leakguard would have missed");
        CliRun json = run("analyze", "--input", directory.resolve("trace.csv").toString(), "--memory-limit", "512Mi", "--output", "json");
        JsonNode node = new ObjectMapper().readTree(json.out());
        assertThat(node.get("limitCrossedAtSeconds").asDouble()).isEqualTo(1_795_003_510.0);
        assertThat(node.get("ooms").asInt()).isEqualTo(1);
        assertThat(node.get("oomsPrevented").asInt()).isZero();
    }

    @Test
    void epochMillisecondsAreRefusedNotReadAsSeconds() throws IOException {
        Path input = write("timestamp_seconds,memory_bytes\n1795713042718,9117696\n1795713043746,10686464\n");
        CliRun run = run("analyze", "--input", input.toString(), "--memory-limit", "60Mi");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("line 2: timestamp_seconds 1795713042718 is epoch milliseconds, not seconds")
                .contains("divide the column by 1000");
    }

    @Test
    void aByteOrderMarkAndQuotedHeadersAndCellsAreTolerated() throws IOException {
        StringBuilder csv = new StringBuilder("\uFEFF\"timestamp_seconds\",\"memory_bytes\"\n");
        for (int t = 0; t < 600; t += 15) {
            csv.append('"').append(t).append("\",\"").append(100_000_000).append("\"\n");
        }
        CliRun run = run("analyze", "--input", write(csv.toString()).toString(), "--memory-limit", "1Gi");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("samples: 40");
    }

    /** The operator's rules, in the operator's words: a backtest with settings the operator refuses proves nothing. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "horizon not shorter than window|--horizon,30m|--horizon (30m) must be shorter than --window (30m)",
        "window under 8 intervals|--window,1m,--interval,15s|--window (1m) must hold at least 8 scrape intervals (15s each)",
        "a d unit|--window,2d|--window: invalid duration '2d'",
        "interval under 1s|--interval,500ms|--interval must be at least 1s, got 500ms"})
    void settingsTheOperatorRejectsAreRejected(String name, String options, String message) throws IOException {
        Path input = write("timestamp_seconds,memory_bytes\n1,100\n");
        List<String> args = new java.util.ArrayList<>(List.of("analyze", "--input", input.toString(), "--memory-limit", "1Gi"));
        args.addAll(List.of(options.split(",")));
        CliRun run = run(args.toArray(String[]::new));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains(message).doesNotContain("PT");
    }

    @Test
    void settingsComeFromAPolicyFileAndAreCheckedAsTheOperatorChecksThem() throws Exception {
        Path policy = Files.writeString(directory.resolve("policy.yaml"), """
                apiVersion: leakguard.dev/v1alpha1
                kind: LeakPolicy
                metadata: {name: redis, namespace: shop}
                spec:
                  selector: {matchLabels: {app: redis}}
                  metrics: {port: metrics, interval: 1s}
                  detection: {window: 2m, warmup: 20s, horizon: 1m, memoryLimit: 60Mi}
                """);
        CliRun run = run("analyze", "--input", recorded("go-redis-client-per-request.csv").toString(), "--policy", policy.toString(),
                "--output", "json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(new ObjectMapper().readTree(run.out()).get("verdict").asText()).isEqualTo("leaking");

        CliRun overridden = run("analyze", "--input", recorded("go-redis-client-per-request.csv").toString(), "--policy", policy.toString(),
                "--horizon", "5m");
        assertThat(overridden.exitCode()).isEqualTo(2);
        assertThat(overridden.err()).contains("--horizon (5m) must be shorter than --window (2m)");
    }

    @Test
    void textReportShowsHumanTimesATimelineAndASparkline() throws Exception {
        CliRun run = run("analyze", "--input", recorded("go-redis-client-per-request.csv").toString(),
                "--memory-limit", "60Mi", "--interval", "1s", "--window", "2m", "--warmup", "20s", "--horizon", "1m");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContainPattern("\\b1795[0-9]{6}\\b").contains("would restart at 2026-11-26 ")
                .contains("timeline:\n").contains("Z (+0s)  insufficient_data: warming up, 20s left\n")
                .containsPattern("  2026-11-26 [0-9:]{8}Z \\(\\+[0-9ms]+\\)  leaking: memory floor rises clearly")
                .containsPattern("memory: [▁▂▃▄▅▆▇█]{60}\n");
    }

    @Test
    void aLimitBelowTheSeriesIsFlaggedAsAProbableUnitMistake() throws Exception {
        CliRun run = run("analyze", "--input", recorded("go-redis-shared-client.csv").toString(), "--memory-limit", "20Ki",
                "--interval", "1s", "--window", "2m", "--warmup", "20s", "--horizon", "1m");
        assertThat(run.out()).contains("warning: the limit 20Ki is below most of the series; is it in the right unit");
    }

    @Test
    void plotDrawsMemoryTheLimitTheTrendTheActionAndThePredictedOom() throws Exception {
        Path svg = directory.resolve("leak.svg");
        CliRun run = run("analyze", "--input", recorded("go-redis-client-per-request.csv").toString(),
                "--memory-limit", "60Mi", "--interval", "1s", "--window", "2m", "--warmup", "20s", "--horizon", "1m",
                "--plot", svg.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        org.w3c.dom.Document document = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(svg.toFile());
        assertThat(document.getDocumentElement().getTagName()).isEqualTo("svg");
        java.util.Set<String> ids = new java.util.HashSet<>();
        org.w3c.dom.NodeList all = document.getElementsByTagName("*");
        for (int i = 0; i < all.getLength(); i++) {
            ids.add(((org.w3c.dom.Element) all.item(i)).getAttribute("id"));
        }
        assertThat(ids).contains("memory", "limit", "warmup", "trend", "action", "predicted-oom");
        String description = document.getElementsByTagName("desc").item(0).getTextContent();
        assertThat(description).startsWith("Memory of 673 samples from 2026-11-26 ")
                .contains("limit 60Mi. leakguard would restart at 2026-11-26 ").contains("the fitted trend reaches the limit at");
        System.out.println("SVG description: " + description);
    }
}
