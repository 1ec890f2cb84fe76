import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JVM thread leak like the ones leakguard must name: every "request" creates a new
 * {@code Executors.newFixedThreadPool} and never shuts it down, so each request leaves a
 * parked {@code pool-N-thread-1} thread behind. Legitimate groups run next to it: a
 * Tomcat-like request pool ({@code http-nio-8080-exec-N}), a scheduled reporter and a few
 * consumer threads sleeping in application code. Under {@code load}, every request also fans out
 * to two short-lived {@code lookup-N} threads that exit after 20 to 60 ms, so a dump taken
 * under load catches threads starting and exiting.
 *
 * <p>Run with {@code java ThreadLeak.java}; it reads commands from standard input:
 * {@code requests N} serves N requests and answers {@code done}; {@code load R} starts serving
 * R requests per second in the background and answers {@code loading}; {@code stop} stops that
 * load and answers {@code stopped}; {@code quit} exits.
 */
public class ThreadLeak {

    public static void main(String[] args) throws Exception {
        ThreadPoolExecutor requestPool = new ThreadPoolExecutor(20, 20, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), namedThreads("http-nio-8080-exec-"));
        requestPool.prestartAllCoreThreads();

        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor();
        reporter.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.HOURS);

        for (int i = 1; i <= 4; i++) {
            Thread consumer = new Thread(ThreadLeak::consumeForever, "orders-consumer-" + i);
            consumer.setDaemon(true);
            consumer.start();
        }

        System.out.println("pid " + ProcessHandle.current().pid());
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = commands.readLine()) != null; ) {
            if (line.startsWith("requests ")) {
                int count = Integer.parseInt(line.substring("requests ".length()).trim());
                for (int i = 0; i < count; i++) {
                    requestPool.submit(ThreadLeak::handleRequest).get();
                }
                System.out.println("done");
            } else if (line.startsWith("load ")) {
                long periodMicros = (long) (1_000_000 / Double.parseDouble(line.substring("load ".length()).trim()));
                load = Executors.newSingleThreadScheduledExecutor(namedThreads("load-driver-"));
                load.scheduleAtFixedRate(() -> requestPool.submit(ThreadLeak::handleBusyRequest), 0, periodMicros, TimeUnit.MICROSECONDS);
                System.out.println("loading");
            } else if (line.equals("stop")) {
                load.shutdown();
                load.awaitTermination(10, TimeUnit.SECONDS);
                System.out.println("stopped");
            } else if (line.equals("quit")) {
                System.exit(0);
            }
        }
    }

    private static ScheduledExecutorService load;
    private static final AtomicInteger lookupThreads = new AtomicInteger();

    /** The bug: a fresh pool per request, never shut down. */
    static void handleRequest() {
        ExecutorService lookups = Executors.newFixedThreadPool(4);
        try {
            lookups.submit(() -> "price").get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void handleBusyRequest() {
        handleRequest();
        try {
            fanOut();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The thread churn: two lookups on threads of their own, gone tens of milliseconds later. */
    static void fanOut() throws InterruptedException {
        CountDownLatch answered = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) {
            new Thread(() -> {
                try {
                    Thread.sleep(20 + ThreadLocalRandom.current().nextInt(40));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answered.countDown();
            }, "lookup-" + lookupThreads.incrementAndGet()).start();
        }
        answered.await();
    }

    static void consumeForever() {
        while (true) {
            pollOrders();
        }
    }

    static void pollOrders() {
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static java.util.concurrent.ThreadFactory namedThreads(String prefix) {
        AtomicInteger next = new AtomicInteger(1);
        return runnable -> new Thread(runnable, prefix + next.getAndIncrement());
    }
}
