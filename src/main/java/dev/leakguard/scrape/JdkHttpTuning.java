package dev.leakguard.scrape;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;

/**
 * Two JVM-wide settings that the JDK's HTTP client reads once, when it is first used, and that decide
 * what a scrape costs at cluster scale. The JDK reads them into static fields, so they take effect only
 * when set before anything in the process builds an {@code HttpClient} or completes a
 * {@code CompletableFuture}: the launchers call {@link #apply()} first thing. A value already given on
 * the command line ({@code -D…}) is left alone.
 */
public final class JdkHttpTuning {
    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
    static final String CONNECTION_POOL_SIZE = "jdk.httpclient.connectionPoolSize";
    /** Idle connections the scrape client keeps; enough to keep them alive for a small fleet. */
    static final int POOLED_CONNECTIONS = 64;

    private JdkHttpTuning() {
    }

    public static void apply() {
        // HttpClient.sendAsync completes every response through CompletableFuture's default executor.
        // With one or two CPUs (a pod limited to one core) the common pool has parallelism 1, and that
        // executor then starts a new thread per task: one thread started and ended per scrape.
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(COMMON_POOL_PARALLELISM, "2");
        }
        // Every scrape loop talks to its own pod once per interval, so with thousands of pods a pooled
        // connection is almost never reused; yet the JDK keeps each one for 20 minutes with a 16 KiB
        // read buffer, in an expiry list it scans linearly on every request (O(pods) per scrape; 29 % of
        // the operator's CPU at 1,000 pods). A bounded pool closes the oldest idle connection instead.
        if (System.getProperty(CONNECTION_POOL_SIZE) == null) {
            System.setProperty(CONNECTION_POOL_SIZE, Integer.toString(POOLED_CONNECTIONS));
        }
    }

    /** What is wrong with this JVM's settings for scraping at scale, if anything. */
    public static Optional<String> problem() {
        if (!(new CompletableFuture<Void>().defaultExecutor() instanceof ForkJoinPool)) {
            return Optional.of("CompletableFuture starts a thread per asynchronous task in this JVM (common pool parallelism "
                    + ForkJoinPool.getCommonPoolParallelism() + "), so every scrape starts a thread: start the JVM with -D"
                    + COMMON_POOL_PARALLELISM + "=2 or call JdkHttpTuning.apply() before anything else");
        }
        if (System.getProperty(CONNECTION_POOL_SIZE) == null) {
            return Optional.of("the JDK HTTP client keeps every scraped pod's connection idle for 20 minutes: start the JVM with -D"
                    + CONNECTION_POOL_SIZE + "=" + POOLED_CONNECTIONS + " or call JdkHttpTuning.apply() before anything else");
        }
        return Optional.empty();
    }
}
