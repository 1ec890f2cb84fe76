package dev.leakguard.cli;

import dev.leakguard.Main;
import dev.leakguard.api.LeakPolicy;
import dev.leakguard.text.Format;
import dev.leakguard.decide.PodAnnotations;
import dev.leakguard.demo.DemoApiServer;
import dev.leakguard.demo.DemoCluster;
import dev.leakguard.engine.PodView;
import dev.leakguard.engine.PolicyKey;
import dev.leakguard.metrics.HttpEndpoints;
import dev.leakguard.metrics.MicrometerOperatorMetrics;
import dev.leakguard.operator.LeakguardOperator;
import dev.leakguard.time.ScaledClock;
import dev.leakguard.trend.Assessment;
import io.fabric8.kubernetes.api.model.Event;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs leakguard on a simulated cluster inside this process: an in-process API server, three services",
            "with real loopback metrics endpoints (a Go service leaking goroutines like the Redis-pool incident, a healthy",
            "Go service, a JVM service leaking threads), and time compressed so that an hour passes in a minute."})
public final class DemoCommand implements Callable<Integer> {
    /** Held so the configured level is not lost when java.util.logging collects unreferenced loggers. */
    private static final Logger ROOT_JUL_LOGGER = Logger.getLogger("");

    @Option(names = "--minutes", defaultValue = "60", description = "Simulated minutes to run (default ${DEFAULT-VALUE}).")
    int minutes;

    @Option(names = "--speed", defaultValue = "60", description = "Simulated seconds per real second (default ${DEFAULT-VALUE}: one minute per second).")
    double speed;

    @Option(names = "--keep", description = "Keep the API server running after the summary, for kubectl, until Ctrl-C.")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        quietLibraryLogging();
        PrintStream out = System.out;
        Instant start = Instant.now();
        ScaledClock clock = ScaledClock.compressed(start, speed);
        out.printf("leakguard %s demo: a simulated cluster in this process, %s simulated per real second.%n%n", Main.version(),
                Format.duration(speed));
        MicrometerOperatorMetrics metrics = new MicrometerOperatorMetrics(Main.version());
        // Status every two real seconds, so kubectl shows the story as it unfolds.
        Duration statusRefresh = Duration.ofMillis(Math.round(2000 * speed));
        try (DemoApiServer api = new DemoApiServer();
             LeakguardOperator operator = new LeakguardOperator(api.client(), clock, metrics,
                     LeakguardOperator.Settings.builder().statusRefresh(statusRefresh).build());
             HttpEndpoints http = new HttpEndpoints("127.0.0.1", 0, 0, metrics::scrape, operator::live, operator::ready);
             DemoCluster cluster = new DemoCluster(api.client(), clock)) {
            out.printf("API server   %s%n", api.url());
            out.printf("  try:       kubectl --server %s get leakpolicies,pods -n %s%n", api.url(), DemoCluster.NAMESPACE);
            out.printf("             kubectl --server %s get events -n %s%n", api.url(), DemoCluster.NAMESPACE);
            out.printf("Metrics      http://127.0.0.1:%d/metrics%n%n", http.port());
            operator.events().onDelivered(event -> printEvent(out, start, clock, event));
            operator.start();
            cluster.start();
            out.printf("%-8s %-7s %-16s %-34s %s%n", "T+", "TYPE", "REASON", "OBJECT", "MESSAGE");
            long realMillis = Math.round(minutes * 60_000 / speed);
            Thread.sleep(realMillis);
            operator.events().flush(5_000);
            printSummary(out, api, operator, cluster, clock, start);
            if (keep) {
                out.printf("%nThe API server stays up at %s; press Ctrl-C to stop.%n", api.url());
                new CountDownLatch(1).await();
            }
        }
        return 0;
    }

    /** The demo's output is the Events and the summary; library chatter (every mock request, JOSDK start-up) goes. */
    private static void quietLibraryLogging() {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        LogManager.getLogManager().reset();
        ROOT_JUL_LOGGER.setLevel(Level.WARNING);
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(Level.WARNING);
        ROOT_JUL_LOGGER.addHandler(handler);
    }

    private static void printEvent(PrintStream out, Instant start, ScaledClock clock, Event event) {
        String object = event.getInvolvedObject().getKind().toLowerCase() + "/" + event.getInvolvedObject().getName();
        String count = event.getCount() != null && event.getCount() > 1 ? " (x" + event.getCount() + ")" : "";
        synchronized (out) {
            out.printf("%-8s %-7s %-16s %-34s %s%s%n", elapsed(start, clock), event.getType(), event.getReason(), object,
                    event.getMessage(), count);
        }
    }

    private static String elapsed(Instant start, ScaledClock clock) {
        long seconds = (clock.millis() - start.toEpochMilli()) / 1000;
        return String.format("%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    private static void printSummary(PrintStream out, DemoApiServer api, LeakguardOperator operator, DemoCluster cluster,
                                     ScaledClock clock, Instant start) {
        out.printf("%nSummary after %s simulated:%n", Format.duration((clock.millis() - start.toEpochMilli()) / 1000.0));
        out.printf("%-16s %-30s %-17s %-8s %-8s %-12s %-9s %s%n", "POLICY", "POD", "VERDICT", "MEMORY", "LIMIT", "GROWTH",
                "TO LIMIT", "THREADS");
        for (Map.Entry<PolicyKey, List<PodView>> policy : operator.snapshot().entrySet()) {
            for (PodView view : policy.getValue()) {
                Assessment a = view.assessment();
                out.printf("%-16s %-30s %-17s %-8s %-8s %-12s %-9s %s%n", policy.getKey().name(), view.pod().name(),
                        PodAnnotations.verdictLabel(view.verdict()), Format.bytes(a.memoryBytes()), Format.bytes(a.memoryLimitBytes()),
                        Format.growth(a.memoryGrowthBytesPerSecond()), Format.duration(a.secondsToLimit()),
                        Double.isNaN(a.threads()) ? "-" : Math.round(a.threads()) + " (" + Format.countGrowth(a.threadGrowthPerSecond()) + ")");
            }
        }
        out.printf("%n%-16s %-9s %-9s %-9s %s%n", "POLICY", "WATCHED", "LEAKING", "RESTARTS", "OOM KILLS MISSED");
        List<LeakPolicy> policies = api.client().resources(LeakPolicy.class).inNamespace(DemoCluster.NAMESPACE).list().getItems().stream()
                .sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
        for (LeakPolicy policy : policies) {
            var status = policy.getStatus();
            out.printf("%-16s %-9s %-9s %-9s %s%n", policy.getMetadata().getName(), status == null ? "-" : status.getWatched(),
                    status == null ? "-" : status.getLeaking(), status == null ? "-" : status.getRestarts(),
                    status == null ? "-" : status.getOomKillsMissed());
        }
        out.printf("%nPods replaced after a graceful restart: %d; containers OOM-killed: %d.%n", cluster.replacements(), cluster.oomKills());
        for (DemoCluster.Stopped stopped : cluster.stopped()) {
            out.printf("  %-30s stopped at %s of %s, %s before its limit%n", stopped.pod(), Format.bytes(stopped.memoryBytes()),
                    Format.bytes(stopped.limitBytes()), Format.duration(stopped.minutesLeft() * 60));
        }
    }
}
