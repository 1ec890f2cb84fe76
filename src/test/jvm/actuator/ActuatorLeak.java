package capture;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The JVM thread leak in a real Spring Boot application, so that {@code /actuator/threaddump} is
 * captured from the actuator's own endpoint and serializer: every {@code /quote} builds an
 * {@code Executors.newFixedThreadPool(4)} and never shuts it down. Each request also starts two
 * {@code lookup-N} threads that exit after 20 to 60 ms, so a dump under load catches threads
 * starting and exiting. See capture.sh.
 */
@SpringBootApplication
@RestController
public class ActuatorLeak {

    private static final AtomicInteger lookups = new AtomicInteger();

    @GetMapping("/quote")
    String quote() throws Exception {
        ExecutorService prices = Executors.newFixedThreadPool(4); // the bug: never shut down
        String price = prices.submit(() -> "42").get();
        CountDownLatch answered = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) {
            new Thread(() -> {
                try {
                    Thread.sleep(20 + ThreadLocalRandom.current().nextInt(40));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answered.countDown();
            }, "lookup-" + lookups.incrementAndGet()).start();
        }
        answered.await();
        return price;
    }

    public static void main(String[] args) {
        SpringApplication.run(ActuatorLeak.class, args);
    }
}
