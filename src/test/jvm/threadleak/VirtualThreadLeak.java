import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A virtual-thread leak (JDK 21+): every request runs on a virtual thread, as servers configured
 * for virtual threads do, and subscribes a {@code price-listener-N} virtual thread to a queue
 * nobody ever writes to, so one parked virtual thread stays behind per request. Parked virtual
 * threads appear only in {@code jcmd <pid> Thread.dump_to_file}; jstack and {@code Thread.print}
 * show the platform carrier threads, and, for a virtual thread mounted at that moment,
 * {@code Carrying virtual thread #N}. A {@code hasher} virtual thread computes most of the time
 * so that it is often mounted when a dump is taken.
 *
 * <p>Run with {@code java VirtualThreadLeak.java} on JDK 21 or later; it reads commands from
 * standard input: {@code load R} starts R requests per second and answers {@code loading},
 * {@code stop} stops them and answers {@code stopped}, {@code quit} exits.
 */
public class VirtualThreadLeak {

    private static final AtomicInteger listeners = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
        Thread.ofVirtual().name("hasher").start(VirtualThreadLeak::hashForever);
        System.out.println("pid " + ProcessHandle.current().pid());
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in));
        ScheduledExecutorService load = null;
        for (String line; (line = commands.readLine()) != null; ) {
            if (line.startsWith("load ")) {
                long periodMicros = (long) (1_000_000 / Double.parseDouble(line.substring("load ".length()).trim()));
                load = Executors.newSingleThreadScheduledExecutor();
                load.scheduleAtFixedRate(() -> requests.submit(VirtualThreadLeak::handleRequest), 0, periodMicros, TimeUnit.MICROSECONDS);
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

    /** The bug: a listener per request that is never unsubscribed. */
    static String handleRequest() {
        SynchronousQueue<String> prices = new SynchronousQueue<>();
        Thread.ofVirtual().name("price-listener-" + listeners.incrementAndGet()).start(() -> {
            try {
                prices.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return "ok";
    }

    static void hashForever() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] block = new byte[4096];
            while (true) {
                for (int round = 0; round < 5000; round++) {
                    sha.update(block);
                }
                block[0] = sha.digest()[0];
                Thread.sleep(5);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
