package dev.leakguard.bench.scale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** CPU time and resident memory of processes, and of the whole machine, from /proc. */
final class ProcStats {
    private static final double TICKS_PER_SECOND = clockTicks();

    private ProcStats() {
    }

    /** User plus system CPU seconds of process {@code pid} so far (its own threads, not its children); NaN once it has exited. */
    static double cpuSeconds(long pid) {
        String stat = readIfPresent(Path.of("/proc", String.valueOf(pid), "stat"));
        return stat == null ? Double.NaN : cpuSecondsOfStat(stat);
    }

    /** User plus system CPU seconds from a /proc {@code stat} line of a process or a thread. */
    private static double cpuSecondsOfStat(String stat) {
        // The command name is in parentheses and may contain spaces; the fields after it start at field 3 (state).
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
    }

    /**
     * CPU seconds so far of this JVM's own native threads that Java cannot see (JIT compilers, the VM
     * thread that runs safepoint operations and the serial collector, GC workers), by kind.
     */
    static Map<String, Double> jvmInternalCpuSeconds() {
        Map<String, Double> byKind = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            tasks.forEach(task -> {
                String stat = readIfPresent(task.resolve("stat"));
                if (stat == null) {
                    return;
                }
                String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String kind = comm.startsWith("C1 Compi") || comm.startsWith("C2 Compi") ? "JIT compiler threads"
                        : comm.equals("VM Thread") ? "VM thread (safepoints, serial GC)"
                        : comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.startsWith("VM Periodic") ? "GC worker threads"
                        : null;
                if (kind != null) {
                    byKind.merge(kind, cpuSecondsOfStat(stat), Double::sum);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return byKind;
    }

    /** Resident set size of process {@code pid} in bytes; -1 once it has exited. */
    static long rssBytes(long pid) {
        String status = readIfPresent(Path.of("/proc", String.valueOf(pid), "status"));
        if (status == null) {
            return -1;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    /** Busy and total CPU seconds of the whole machine, all cores, since boot. */
    record MachineCpu(double busySeconds, double totalSeconds) {
        /** Cores kept busy on average between {@code earlier} and this, by everything on the machine. */
        double busyCoresSince(MachineCpu earlier, double wallSeconds) {
            return (busySeconds - earlier.busySeconds) / wallSeconds;
        }
    }

    static MachineCpu machine() {
        String[] cpu = read(Path.of("/proc/stat")).split("\n")[0].trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < cpu.length; i++) {
            total += Long.parseLong(cpu[i]);
        }
        long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
        return new MachineCpu((total - idle) / TICKS_PER_SECOND, total / TICKS_PER_SECOND);
    }

    static String loadAverage() {
        String[] parts = read(Path.of("/proc/loadavg")).trim().split(" ");
        return parts[0] + " " + parts[1] + " " + parts[2];
    }

    private static double clockTicks() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
            String out = new String(getconf.getInputStream().readAllBytes()).trim();
            return getconf.waitFor() == 0 && !out.isEmpty() ? Double.parseDouble(out) : 100;
        } catch (IOException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    private static String readIfPresent(Path path) {
        try {
            return Files.readString(path);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
