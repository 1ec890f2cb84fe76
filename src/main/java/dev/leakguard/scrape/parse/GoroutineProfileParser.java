package dev.leakguard.scrape.parse;

import dev.leakguard.profile.StackRecord;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.function.Consumer;

/**
 * Streams a Go goroutine profile ({@code /debug/pprof/goroutine}) into {@link StackRecord}s.
 * Both text forms are read, told apart by their first line:
 * <ul>
 *   <li>{@code debug=1}: a {@code goroutine profile: total N} header, then one record per
 *       distinct stack — {@code COUNT @ 0x… 0x…}, an optional {@code # labels: {…}} line and
 *       {@code #\t0x…\tfunction+0x…\tfile:line} frames. The counts must add up to the total;
 *       otherwise the profile was cut short. A record with no frame lines is real: pprof prints
 *       nothing for a goroutine caught starting or exiting, whose only PC is
 *       {@code runtime.goexit}; it becomes a record without frames.</li>
 *   <li>{@code debug=2}: one block per goroutine — {@code goroutine N [state, M minutes]:}
 *       (Go 1.26 with {@code GODEBUG=tracebacklabels=1} adds {@code  labels:{…}} inside the
 *       brackets, left out of the state), then {@code function(args)} / {@code \tfile:line +0x…}
 *       pairs, the elision marks of deep stacks ({@code ...N frames elided...}, before Go 1.21
 *       {@code ...additional frames elided...}), {@code created by function} (Go &lt; 1.21) or
 *       {@code created by function in goroutine N} with its own file line, and with
 *       {@code GODEBUG=tracebackancestors} the {@code [originating from goroutine N]:} sections,
 *       which are skipped. A goroutine running on another thread prints no stack; it becomes a
 *       record without frames.</li>
 * </ul>
 * A debug=2 block holding a line no runtime prints there (a traceback the runtime could not
 * unwind) is dropped and counted in the returned {@link SkippedRecords}; the rest of the profile
 * is kept. Input that is no profile, is cut short, breaks a limit, or is mostly unreadable fails
 * with a line-numbered {@link ProfileParseException}.
 *
 * <p>Memory is bounded by one record (lines are capped, frames beyond
 * {@code ProfileLimits.MAX_FRAMES_KEPT} are dropped) whatever the profile's size. Records are
 * handed to the sink as they complete, so on a {@link ProfileParseException} the sink has seen
 * a prefix of the profile and the caller should discard what it built.
 */
public final class GoroutineProfileParser {

    private static final String DEBUG1_HEADER = "goroutine profile: total ";
    private static final String DEBUG2_HEADER = "goroutine ";
    private static final String CREATED_BY = "created by ";
    private static final String IN_GOROUTINE = " in goroutine ";
    private static final String ADDITIONAL_FRAMES_ELIDED = "...additional frames elided...";
    private static final Pattern FRAMES_ELIDED = Pattern.compile("\\.\\.\\.\\d+ frames elided\\.\\.\\.");
    private static final String ANCESTOR_TRACEBACK = "[originating from goroutine ";
    private static final String RUNNING_ELSEWHERE = "\tgoroutine running on other thread; stack unavailable";
    private static final String TRACEBACK_LABELS = " labels:{";
    private static final String LABELS = "# labels:";
    private static final int MAX_COUNT_DIGITS = 18;

    private GoroutineProfileParser() {
    }

    /**
     * Parses one profile from {@code in}, reading at most {@code maxBytes} bytes.
     *
     * @return the goroutines left out because their block could not be read (debug=2 only)
     * @throws ProfileParseException when the input is not a goroutine profile, is truncated or
     *                               malformed, exceeds {@code maxBytes}, or cannot be read
     */
    public static SkippedRecords parse(InputStream in, long maxBytes, Consumer<StackRecord> sink) throws ProfileParseException {
        ProfileLineReader lines = new ProfileLineReader(new ProfileSizeLimitedStream(in, maxBytes));
        String first = lines.next();
        while (first != null && first.isBlank()) {
            first = lines.next();
        }
        if (first == null) {
            throw new ProfileParseException("the goroutine profile is empty");
        }
        if (first.startsWith(DEBUG1_HEADER)) {
            new Debug1(lines, sink).parse(first);
            return SkippedRecords.NONE;
        } else if (first.startsWith(DEBUG2_HEADER)) {
            return new Debug2(lines, sink).parse(first);
        } else {
            throw ProfileParseException.at(lines.lineNumber(), "not a goroutine profile: expected \""
                    + DEBUG1_HEADER + "N\" (debug=1) or \"goroutine N [state]:\" (debug=2)", first);
        }
    }

    /**
     * The grouped form: counts per distinct stack. Every rule here matches what pprof prints
     * (it writes this form from one snapshot in one pass), so a line that breaks one means the
     * body is not a profile or was damaged, and the whole profile fails.
     */
    private static final class Debug1 {
        private final ProfileLineReader lines;
        private final Consumer<StackRecord> sink;
        private List<String> frames = new ArrayList<>();
        private long count;
        private long total;
        private long sum;

        Debug1(ProfileLineReader lines, Consumer<StackRecord> sink) {
            this.lines = lines;
            this.sink = sink;
        }

        void parse(String header) throws ProfileParseException {
            total = parseCount(header.substring(DEBUG1_HEADER.length()).trim(), header, true);
            for (String line = lines.next(); line != null; line = lines.next()) {
                if (line.isEmpty()) {
                    finishRecord();
                } else if (line.startsWith("#\t")) {
                    requireOpenRecord(line);
                    if (frames.size() < ProfileLimits.MAX_FRAMES_KEPT) {
                        frames.add(frameFunction(line));
                    }
                } else if (line.startsWith(LABELS)) {
                    requireOpenRecord(line);
                } else {
                    finishRecord();
                    startRecord(line);
                }
            }
            finishRecord();
            if (sum != total) {
                throw ProfileParseException.at(lines.lineNumber(), "the records add up to " + sum
                        + " goroutines but the header says " + total + " (truncated?)");
            }
        }

        private void startRecord(String line) throws ProfileParseException {
            int at = line.indexOf(" @");
            if (at < 0) {
                throw ProfileParseException.at(lines.lineNumber(), "expected a record header \"COUNT @ 0x…\"", line);
            }
            for (String address : line.substring(at + 2).trim().split(" +")) {
                if (!address.isEmpty() && !isHexAddress(address)) {
                    throw ProfileParseException.at(lines.lineNumber(), "malformed address in record header", line);
                }
            }
            count = parseCount(line.substring(0, at), line, false);
            if (count > total - sum) {
                throw ProfileParseException.at(lines.lineNumber(), "the records count more goroutines than the header's total of " + total);
            }
            sum += count;
        }

        /** A record without frames is a goroutine caught starting or exiting; it still counts towards the total. */
        private void finishRecord() {
            if (count == 0) {
                return;
            }
            sink.accept(new StackRecord(null, null, frames, null, count));
            frames = new ArrayList<>();
            count = 0;
        }

        private void requireOpenRecord(String line) throws ProfileParseException {
            if (count == 0) {
                throw ProfileParseException.at(lines.lineNumber(), "frame or label line outside a record", line);
            }
        }

        /** {@code #\t0x677aba\tpkg.(*T).f+0x9a\t\tfile.go:323} → {@code pkg.(*T).f}; an unsymbolised {@code #\t0x…} → its address. */
        private String frameFunction(String line) throws ProfileParseException {
            int addressEnd = nextTab(line, 2);
            String address = line.substring(2, addressEnd);
            if (!isHexAddress(address)) {
                throw ProfileParseException.at(lines.lineNumber(), "malformed frame address", line);
            }
            int functionStart = skipTabs(line, addressEnd);
            if (functionStart == line.length()) {
                return address;
            }
            String function = line.substring(functionStart, nextTab(line, functionStart));
            int offset = function.lastIndexOf("+0x");
            String name = offset < 0 ? function : function.substring(0, offset);
            if (name.isEmpty()) {
                throw ProfileParseException.at(lines.lineNumber(), "frame without a function name", line);
            }
            return name;
        }

        private long parseCount(String digits, String line, boolean allowZero) throws ProfileParseException {
            if (digits.isEmpty() || digits.length() > MAX_COUNT_DIGITS || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw ProfileParseException.at(lines.lineNumber(), "expected a goroutine count", line);
            }
            long value = Long.parseLong(digits);
            if (value == 0 && !allowZero) {
                throw ProfileParseException.at(lines.lineNumber(), "a record must count at least one goroutine", line);
            }
            return value;
        }
    }

    /** The full form: one block per goroutine. */
    private static final class Debug2 {
        private final ProfileLineReader lines;
        private final Consumer<StackRecord> sink;
        private final RecordSkips skips = new RecordSkips();
        private List<String> frames = new ArrayList<>();
        private String state;
        private String createdBy;
        private boolean open;
        private boolean expectFileLine;
        private boolean sawCreatedBy;
        /** In a {@code [originating from goroutine N]:} section, which describes another goroutine. */
        private boolean inAncestors;
        /** The block held a line no runtime prints there; it is dropped when it ends. */
        private boolean skipping;

        Debug2(ProfileLineReader lines, Consumer<StackRecord> sink) {
            this.lines = lines;
            this.sink = sink;
        }

        SkippedRecords parse(String header) throws ProfileParseException {
            startBlock(header);
            for (String line = lines.next(); line != null; line = lines.next()) {
                if (expectFileLine) {
                    expectFileLine = false;
                    if (line.startsWith("\t")) {
                        continue;
                    }
                    skip("expected the \\tfile:line of the line before", line);
                }
                if (line.isEmpty()) {
                    finishBlock();
                } else if (line.startsWith(DEBUG2_HEADER)) {
                    finishBlock();
                    startBlock(line);
                } else if (!open) {
                    throw ProfileParseException.at(lines.lineNumber(), "expected \"goroutine N [state]:\"", line);
                } else if (line.startsWith(ANCESTOR_TRACEBACK)) {
                    inAncestors = true;
                } else if (!skipping && !inAncestors) {
                    blockLine(line);
                }
            }
            if (expectFileLine) {
                throw ProfileParseException.at(lines.lineNumber(), "the profile ends before a frame's file line (truncated?)");
            }
            finishBlock();
            return skips.result("goroutines");
        }

        private void blockLine(String line) {
            if (sawCreatedBy) {
                skip("unexpected line after \"created by\"", line);
            } else if (line.startsWith(CREATED_BY)) {
                createdBy = creator(line);
                sawCreatedBy = createdBy != null;
                expectFileLine = sawCreatedBy;
            } else if (line.equals(RUNNING_ELSEWHERE)) {
                // The runtime prints no stack for it: a goroutine without frames.
            } else if (line.startsWith("\t")) {
                skip("file line without a function line before it", line);
            } else if (!line.equals(ADDITIONAL_FRAMES_ELIDED) && !FRAMES_ELIDED.matcher(line).matches()) {
                String function = function(line);
                if (function != null) {
                    if (frames.size() < ProfileLimits.MAX_FRAMES_KEPT) {
                        frames.add(function);
                    }
                    expectFileLine = true;
                }
            }
        }

        /**
         * {@code goroutine 84 [chan receive, 3 minutes]:}; newer Go may put more between the id and
         * the bracket ({@code gp=0x… m=nil}) and labels inside it. Real runtimes print no other
         * form, so a header that is not like this fails the profile.
         */
        private void startBlock(String line) throws ProfileParseException {
            int idEnd = line.indexOf(' ', DEBUG2_HEADER.length());
            int bracket = line.indexOf('[');
            boolean wellFormed = idEnd > DEBUG2_HEADER.length() && bracket > idEnd && line.endsWith("]:")
                    && line.substring(DEBUG2_HEADER.length(), idEnd).chars().allMatch(c -> c >= '0' && c <= '9');
            if (!wellFormed) {
                throw ProfileParseException.at(lines.lineNumber(), "expected \"goroutine N [state]:\"", line);
            }
            String bracketed = line.substring(bracket + 1, line.length() - 2);
            int labels = bracketed.indexOf(TRACEBACK_LABELS);
            state = labels < 0 ? bracketed : bracketed.substring(0, labels);
            open = true;
        }

        private void finishBlock() {
            if (!open) {
                return;
            }
            if (!skipping) {
                sink.accept(new StackRecord(null, state, frames, createdBy, 1));
                skips.read();
            }
            frames = new ArrayList<>();
            state = null;
            createdBy = null;
            sawCreatedBy = false;
            inAncestors = false;
            skipping = false;
            open = false;
        }

        private void skip(String problem, String line) {
            if (open && !skipping) {
                skips.skip(lines.lineNumber(), ProfileParseException.quoting(problem, line));
                skipping = true;
            }
        }

        /** {@code net/http.(*conn).serve(0xc000000500, {0x771f00, 0xc000095410})} → {@code net/http.(*conn).serve}; null (and the block skipped) otherwise. */
        private String function(String line) {
            int args = line.lastIndexOf('(');
            if (!line.endsWith(")") || args <= 0) {
                skip("expected a frame \"function(args)\"", line);
                return null;
            }
            return line.substring(0, args);
        }

        private String creator(String line) {
            String creator = line.substring(CREATED_BY.length());
            int inGoroutine = creator.indexOf(IN_GOROUTINE);
            String name = (inGoroutine < 0 ? creator : creator.substring(0, inGoroutine)).trim();
            if (name.isEmpty()) {
                skip("\"created by\" without a function", line);
                return null;
            }
            return name;
        }
    }

    private static boolean isHexAddress(String text) {
        if (text.length() < 3 || !text.startsWith("0x")) {
            return false;
        }
        for (int i = 2; i < text.length(); i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static int nextTab(String line, int from) {
        int tab = line.indexOf('\t', from);
        return tab < 0 ? line.length() : tab;
    }

    private static int skipTabs(String line, int from) {
        int i = from;
        while (i < line.length() && line.charAt(i) == '\t') {
            i++;
        }
        return i;
    }
}
