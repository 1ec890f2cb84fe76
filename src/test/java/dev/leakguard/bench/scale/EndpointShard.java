package dev.leakguard.bench.scale;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Child process serving the metrics endpoints of pods {@code from..to}: writes where each pod
 * listens to {@code bindingsFile} ("pod host port" lines), prints READY, then answers
 * {@code STATS fromSecond toSecond} with the requests per second of each scraper, and exits when
 * its standard input closes (so it never outlives the benchmark).
 *
 * <p>Pods are split over several of these processes because each process may hold only 20,000
 * file descriptors: a pod needs a listening socket plus one kept-alive connection per scraper.
 */
public final class EndpointShard {
    private EndpointShard() {
    }

    public static void main(String[] args) throws IOException {
        int from = Integer.parseInt(args[0]);
        int to = Integer.parseInt(args[1]);
        Path bindingsFile = Path.of(args[2]);
        try (EndpointServer server = new EndpointServer(from, to)) {
            Files.write(bindingsFile, server.bindings().stream().map(EndpointServer.Binding::line).toList());
            System.out.println("READY " + server.bindings().size());
            System.out.flush();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = commands.readLine(); line != null; line = commands.readLine()) {
                String[] words = line.trim().split(" ");
                if (words[0].equals("STATS")) {
                    long fromSecond = Long.parseLong(words[1]);
                    long toSecond = Long.parseLong(words[2]);
                    System.out.println("STATS " + csv(server.counter().perSecond(EndpointServer.Client.LEAKGUARD, fromSecond, toSecond))
                            + " " + csv(server.counter().perSecond(EndpointServer.Client.PROMETHEUS, fromSecond, toSecond)));
                    System.out.flush();
                }
            }
        }
    }

    private static String csv(long[] values) {
        return values.length == 0 ? "-" : Arrays.stream(values).mapToObj(Long::toString).collect(Collectors.joining(","));
    }
}
