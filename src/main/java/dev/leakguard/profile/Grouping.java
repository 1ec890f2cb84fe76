package dev.leakguard.profile;

import dev.leakguard.policy.ProfileType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Puts the threads or goroutines of one snapshot into groups, so that "7386 copies of the
 * same goroutine" shows up as one line. Keys are meant to be equal for the same code in two
 * snapshots of the same process, and different for different code.
 *
 * <h2>Go keys: {@code function | state | created-by}</h2>
 * <ul>
 *   <li><b>function</b> — the first frame, from the top, that is not in a package a goroutine
 *       is merely parked in: {@code runtime}, {@code runtime/internal/…}, {@code internal/…}
 *       (e.g. {@code internal/poll}), {@code sync}, {@code sync/atomic}, {@code syscall},
 *       {@code time}, {@code io}, {@code bufio}, {@code os} and {@code net} (the package
 *       itself; {@code net/http} is kept). Without that, every goroutine waiting on a socket
 *       would be one group whatever code it belongs to. When every frame is in those
 *       packages the top frame is used.</li>
 *   <li><b>state</b> — the wait reason of {@code debug=2} profiles, without the
 *       {@code , N minutes} and {@code , locked to thread} parts (they change while the
 *       goroutine waits). {@code debug=1} profiles have no state.</li>
 *   <li><b>created-by</b> — the function that started the goroutine ({@code debug=2} only).</li>
 * </ul>
 * Because {@code debug=1} lacks state and creator, a {@code debug=1} snapshot is only
 * comparable with another {@code debug=1} snapshot; the same holds for {@code debug=2}.
 *
 * <p>Goroutines without frames — caught starting or exiting ({@code debug=1} prints no frame for
 * a stack that is only {@code runtime.goexit}), or running on another thread ({@code debug=2}) —
 * all go to the one group {@link #NO_FRAMES_KEY}, whatever their state or creator. They count
 * towards the snapshot's total, but they name no code: how many a snapshot catches depends on
 * the request rate at that instant, so {@link GrowthRanking} never ranks this group.
 *
 * <h2>JVM keys: {@code name-pattern | state | frames}</h2>
 * <ul>
 *   <li><b>name-pattern</b> — the thread name with each run of digits replaced by {@code N}:
 *       {@code pool-3-thread-17} → {@code pool-N-thread-N}, {@code http-nio-8080-exec-12} →
 *       {@code http-nio-N-exec-N}.</li>
 *   <li><b>state</b> — the {@code Thread.State} constant alone ({@code TIMED_WAITING (parking)}
 *       → {@code TIMED_WAITING}), so that jstack, jcmd and Actuator snapshots compare.</li>
 *   <li><b>frames</b> — the top three application frames, skipping JDK frames
 *       ({@code java.}, {@code jdk.}, {@code sun.}, {@code com.sun.}); when every frame is a
 *       JDK frame, the top frame. Lambda and hidden-class names lose their per-run suffix
 *       ({@code Foo$$Lambda$242/0x0000…} → {@code Foo$$Lambda}).</li>
 * </ul>
 * VM-internal threads of a jstack dump have neither state nor frames; they group by name.
 * Unnamed threads (virtual threads usually are) group under {@code (unnamed)}.
 *
 * <p>Descriptions, used in messages, read {@code function (state; created by creator)} for Go
 * and {@code name-pattern (state; at first-key-frame)} for the JVM, leaving out unknown parts.
 */
public final class Grouping {

    /** The key of the group of Go goroutines without frames; no key built from frames has this form. */
    public static final String NO_FRAMES_KEY = "(no frames)";

    private static final String SEPARATOR = " | ";
    private static final String MISSING = "-";
    private static final int JVM_KEY_FRAMES = 3;

    private static final List<String> GO_PARKING_PACKAGES =
            List.of("runtime", "sync", "sync/atomic", "syscall", "time", "io", "bufio", "os", "net");
    private static final List<String> GO_PARKING_PACKAGE_TREES = List.of("runtime/internal/", "internal/");
    private static final List<String> JDK_FRAME_PREFIXES = List.of("java.", "jdk.", "sun.", "com.sun.");

    private static final Pattern LAMBDA_SERIAL = Pattern.compile("\\$\\$Lambda\\$\\d+");
    private static final Pattern HIDDEN_CLASS_SUFFIX = Pattern.compile("/0x[0-9a-fA-F]+");

    private Grouping() {
    }

    /** A group's key and its human-readable description. */
    public record GroupLabel(String key, String description) {
    }

    /** Groups records that are already in memory. */
    public static GroupCounts group(ProfileType type, Iterable<StackRecord> records) {
        Sink sink = sink(type);
        records.forEach(sink);
        return sink.counts();
    }

    /** A sink to hand to a streaming parser; read the result with {@link Sink#counts()}. */
    public static Sink sink(ProfileType type) {
        return sink(type, GroupCounts.DEFAULT_MAX_GROUPS);
    }

    /** Like {@link #sink(ProfileType)}, with a different cap on distinct groups. */
    public static Sink sink(ProfileType type, int maxGroups) {
        return new Sink(Objects.requireNonNull(type, "type"), GroupCounts.builder(maxGroups));
    }

    /** The key and description of the group {@code record} belongs to. */
    public static GroupLabel label(ProfileType type, StackRecord record) {
        return switch (type) {
            case go -> goLabel(record);
            case jvm -> jvmLabel(record);
            case none -> throw new IllegalArgumentException("profile type none has no groups");
        };
    }

    /** Counts every record it accepts into its group. */
    public static final class Sink implements Consumer<StackRecord> {
        private final ProfileType type;
        private final GroupCounts.Builder counts;

        private Sink(ProfileType type, GroupCounts.Builder counts) {
            this.type = type;
            this.counts = counts;
        }

        @Override
        public void accept(StackRecord record) {
            GroupLabel label = label(type, record);
            counts.add(label.key(), label.description(), record.count());
        }

        /** The counts of everything accepted so far. */
        public GroupCounts counts() {
            return counts.build();
        }
    }

    private static GroupLabel goLabel(StackRecord record) {
        if (record.frames().isEmpty()) {
            return new GroupLabel(NO_FRAMES_KEY, "goroutines without frames (starting, exiting or running elsewhere)");
        }
        String function = firstGoFunctionOutsideParkingPackages(record.frames());
        String state = goWaitReason(record.state());
        String createdBy = emptyToNull(record.createdBy());
        String key = String.join(SEPARATOR, function, orMissing(state), orMissing(createdBy));
        return new GroupLabel(key, describe(function, state, createdBy == null ? null : "created by " + createdBy));
    }

    private static String firstGoFunctionOutsideParkingPackages(List<String> frames) {
        for (String frame : frames) {
            if (!isGoParkingPackage(goPackage(frame))) {
                return frame;
            }
        }
        return frames.get(0);
    }

    private static boolean isGoParkingPackage(String pkg) {
        if (GO_PARKING_PACKAGES.contains(pkg)) {
            return true;
        }
        for (String tree : GO_PARKING_PACKAGE_TREES) {
            if (pkg.startsWith(tree)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The import path of a Go function name: everything up to the first dot after the last
     * slash, e.g. {@code gopkg.in/redis.v5/internal/pool} for
     * {@code gopkg.in/redis.v5/internal/pool.(*ConnPool).reaper}. Type parameters in brackets
     * may contain slashes of their own, so the search stops at the first bracket.
     */
    static String goPackage(String function) {
        int bracket = function.indexOf('[');
        int searchEnd = bracket < 0 ? function.length() : bracket;
        int lastSlash = function.lastIndexOf('/', searchEnd - 1);
        int dot = function.indexOf('.', lastSlash + 1);
        return dot < 0 || dot > searchEnd ? function.substring(0, searchEnd) : function.substring(0, dot);
    }

    private static String goWaitReason(String state) {
        if (state == null) {
            return null;
        }
        int comma = state.indexOf(',');
        return emptyToNull((comma < 0 ? state : state.substring(0, comma)).trim());
    }

    private static GroupLabel jvmLabel(StackRecord record) {
        // Virtual threads are often unnamed: Thread.dump_to_file prints them as "".
        String namePattern = record.threadName() == null || record.threadName().isEmpty()
                ? "(unnamed)" : digitRunsToN(record.threadName());
        String state = threadStateConstant(record.state());
        List<String> keyFrames = jvmKeyFrames(record.frames());
        String key = String.join(SEPARATOR, namePattern, orMissing(state),
                keyFrames.isEmpty() ? MISSING : String.join(" < ", keyFrames));
        return new GroupLabel(key, describe(namePattern, state, keyFrames.isEmpty() ? null : "at " + keyFrames.get(0)));
    }

    /** {@code pool-3-thread-17} → {@code pool-N-thread-N}. */
    static String digitRunsToN(String name) {
        StringBuilder out = new StringBuilder(name.length());
        boolean inDigits = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean digit = c >= '0' && c <= '9';
            if (!digit) {
                out.append(c);
            } else if (!inDigits) {
                out.append('N');
            }
            inDigits = digit;
        }
        return out.toString();
    }

    private static String threadStateConstant(String state) {
        if (state == null) {
            return null;
        }
        String trimmed = state.trim();
        int space = trimmed.indexOf(' ');
        return emptyToNull(space < 0 ? trimmed : trimmed.substring(0, space));
    }

    private static List<String> jvmKeyFrames(List<String> frames) {
        List<String> keyFrames = new ArrayList<>(JVM_KEY_FRAMES);
        for (String frame : frames) {
            if (!isJdkFrame(frame)) {
                keyFrames.add(withoutPerRunSuffixes(frame));
                if (keyFrames.size() == JVM_KEY_FRAMES) {
                    break;
                }
            }
        }
        if (keyFrames.isEmpty() && !frames.isEmpty()) {
            keyFrames.add(withoutPerRunSuffixes(frames.get(0)));
        }
        return keyFrames;
    }

    private static boolean isJdkFrame(String frame) {
        for (String prefix : JDK_FRAME_PREFIXES) {
            if (frame.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static String withoutPerRunSuffixes(String frame) {
        if (frame.indexOf('/') < 0 && !frame.contains("$$Lambda$")) {
            return frame;
        }
        String withoutSerial = LAMBDA_SERIAL.matcher(frame).replaceAll("\\$\\$Lambda");
        return HIDDEN_CLASS_SUFFIX.matcher(withoutSerial).replaceAll("");
    }

    private static String describe(String subject, String... details) {
        StringJoiner known = new StringJoiner("; ", " (", ")").setEmptyValue("");
        for (String detail : details) {
            if (detail != null) {
                known.add(detail);
            }
        }
        return subject + known;
    }

    private static String orMissing(String value) {
        return value == null ? MISSING : value;
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
