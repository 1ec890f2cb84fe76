package dev.leakguard.realcluster;

import dev.leakguard.Main;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.DoubleStream;
import java.util.stream.Stream;

/** A `leakguard run` process of a test, as the kubelet would run a replica: its output in a file, its /metrics on the port it printed. */
record OperatorProcess(Process process, Path log) {

    /** Runs `leakguard run` with {@code args} as the ServiceAccount of {@code kubeconfig}, with {@code identity} as its HOSTNAME. */
    static OperatorProcess start(String identity, Path kubeconfig, List<String> args) throws IOException {
        Path log = Files.createTempFile("leakguard-" + identity, ".log");
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run"));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("KUBECONFIG", kubeconfig.toString());
        builder.environment().put("HOSTNAME", identity);
        return new OperatorProcess(builder.start(), log);
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    double metric(String name) {
        return metricValues(name, "").sum();
    }

    /** The values of the metric's series whose labels match {@code labels} (a regular expression, found anywhere). */
    DoubleStream metricValues(String name, String labels) {
        Pattern matching = Pattern.compile(labels);
        return series(name).filter(l -> matching.matcher(l.substring(0, l.lastIndexOf(' '))).find())
                .map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .mapToDouble(v -> v.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(v));
    }

    /** The lines of the metric's series, e.g. {@code name{pod="a",...} 1.0}; none before the process serves /metrics. */
    Stream<String> series(String name) {
        String body;
        try {
            Matcher port = Pattern.compile("/metrics on :(\\d+)").matcher(Files.readString(log));
            if (!port.find()) {
                return Stream.empty();
            }
            body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.group(1) + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return body.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "));
    }
}
