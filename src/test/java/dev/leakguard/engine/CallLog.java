package dev.leakguard.engine;

import java.util.ArrayList;
import java.util.List;

/** The order in which the engine called its ports, shared by the {@code Testing*} fakes. */
final class CallLog {
    private final List<String> calls = new ArrayList<>();

    synchronized void add(String call) {
        calls.add(call);
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    synchronized List<String> startingWith(String prefix) {
        return calls.stream().filter(c -> c.startsWith(prefix)).toList();
    }
}
