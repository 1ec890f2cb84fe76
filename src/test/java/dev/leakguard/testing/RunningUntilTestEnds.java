package dev.leakguard.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test started (pod stand-ins, samplers, informers), closed after each test in the reverse order of
 * starting: register as {@code @RegisterExtension final RunningUntilTestEnds running = new RunningUntilTestEnds();}.
 */
public final class RunningUntilTestEnds implements AfterEachCallback {
    private final List<AutoCloseable> running = new ArrayList<>();

    public void add(AutoCloseable closeable) {
        running.add(closeable);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        running.clear();
    }
}
