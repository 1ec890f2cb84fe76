package dev.leakguard.bench.scale;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A helper process on the benchmark's own class path, spoken to in lines over stdin/stdout. Its
 * stderr goes to a log file. Closing its stdin tells it to exit; it is killed if it does not.
 */
final class ChildJvm implements AutoCloseable {
    private final String name;
    private final Process process;
    private final PrintWriter commands;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ChildJvm(String name, Process process) {
        this.name = name;
        this.process = process;
        this.commands = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread pump = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        }, "scale-bench-pump-" + name);
        pump.setDaemon(true);
        pump.start();
    }

    static ChildJvm start(String name, List<String> jvmOptions, Class<?> main, List<String> args, Path logDir) throws IOException {
        return start(name, jvmOptions, System.getProperty("java.class.path"), main, args, logDir);
    }

    /** On {@code classPath} instead of the benchmark's own: to run the same main against another build's classes. */
    static ChildJvm start(String name, List<String> jvmOptions, String classPath, Class<?> main, List<String> args, Path logDir)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        String julConfig = System.getProperty("java.util.logging.config.file");
        if (julConfig != null) {
            command.add("-Djava.util.logging.config.file=" + julConfig);
        }
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        command.add("-cp");
        command.add(classPath);
        command.add(main.getName());
        command.addAll(args);
        Process process = new ProcessBuilder(command)
                .redirectError(logDir.resolve(name + ".log").toFile())
                .start();
        return new ChildJvm(name, process);
    }

    long pid() {
        return process.pid();
    }

    /** Waits for a line starting with {@code prefix}; fails if the process dies or time runs out. */
    String await(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith(prefix)) {
                return line;
            }
            if (line == null && !process.isAlive() && lines.isEmpty()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " (see its log)");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not say " + prefix + " within " + timeout);
            }
        }
    }

    /** Sends {@code command} and collects the answer lines up to (not including) a line equal to {@code end}. */
    List<String> ask(String command, String end, Duration timeout) throws InterruptedException {
        lines.clear();
        commands.println(command);
        List<String> answer = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            if (line.equals(end)) {
                return answer;
            }
            answer.add(line);
        }
        throw new IllegalStateException(name + " did not answer " + command + " within " + timeout);
    }

    /** Sends {@code command} and returns its one-line answer, which starts with {@code prefix}. */
    String askLine(String command, String prefix, Duration timeout) throws InterruptedException {
        lines.clear();
        commands.println(command);
        return await(prefix, timeout);
    }

    @Override
    public void close() {
        commands.close();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
