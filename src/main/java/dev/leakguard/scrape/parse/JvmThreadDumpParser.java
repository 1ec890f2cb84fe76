package dev.leakguard.scrape.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.leakguard.profile.StackRecord;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Streams a JVM thread dump into {@link StackRecord}s, one per thread. These forms are read,
 * told apart by their start:
 * <ul>
 *   <li>{@code jstack <pid>} and {@code jcmd <pid> Thread.print}: a {@code Full thread dump}
 *       line, thread blocks headed {@code "name" #1 daemon prio=5 … } with a
 *       {@code java.lang.Thread.State:} line and {@code \tat class.method(File.java:1)}
 *       frames, lock lines ({@code - locked <0x…>}, {@code - parking to wait for}), notes such
 *       as {@code No compile task} or (JDK 21+) {@code Carrying virtual thread #N} on a carrier
 *       thread, VM-internal threads without state or frames, and the closing
 *       {@code JNI global refs} line, whose absence means the dump was cut short.</li>
 *   <li>Spring Boot Actuator {@code /actuator/threaddump} as {@code text/plain}: the same
 *       layout with {@code "name" - Thread t@1} headers and module-qualified frames
 *       ({@code java.base@17/java.lang.Object.wait(Native Method)}); every block ends with a
 *       {@code Locked ownable synchronizers:} list, whose absence at the end means it was cut
 *       short.</li>
 *   <li>{@code jcmd <pid> Thread.dump_to_file -format=text} (JDK 21+, the only text form that
 *       lists virtual threads): the process id, time and version, then blocks headed
 *       {@code #28 "name" virtual WAITING 2026-…Z} (JDK 21 prints only {@code #28 "name" virtual})
 *       with indented frames, {@code at }-prefixed since JDK 25. This form has no trailer, so a
 *       cut between two blocks goes unnoticed; a cut inside a line does not.</li>
 *   <li>Actuator's JSON ({@code {"threads":[{"threadName":…,"threadState":…,"stackTrace":[…]}]}})
 *       and {@code Thread.dump_to_file -format=json}
 *       ({@code {"threadDump":{"threadContainers":[{"threads":[{"name":…,"state":…,"stack":[…]}]}]}}}),
 *       read with Jackson's streaming parser.</li>
 * </ul>
 * Frames are {@code class.method}, without class loader, module, file or line. A thread whose
 * block holds a line that belongs in no block (the rest of a thread name with a line break), a
 * frame without a method, or a JSON thread without a name is dropped and counted in the returned
 * {@link SkippedRecords}; the rest of the dump is kept. Input that is no thread dump, is cut
 * short, breaks a limit, mixes forms or is mostly unreadable fails with a
 * {@link ProfileParseException}. Memory is bounded by one thread's record; records reach the
 * sink as they complete, so after a {@link ProfileParseException} the caller should discard what
 * the sink built.
 */
public final class JvmThreadDumpParser {

    private static final String FULL_THREAD_DUMP = "Full thread dump";
    private static final String STATE_PREFIX = "java.lang.Thread.State:";
    private static final String SYNCHRONIZERS = "Locked ownable synchronizers:";
    private static final String JNI_TRAILER = "JNI global ref";
    private static final String ACTUATOR_HEADER_MARK = " - Thread t@";
    private static final String VIRTUAL_MARK = "virtual";
    private static final Pattern DUMP_TO_FILE_HEADER = Pattern.compile("#\\d+ \".*");
    private static final String THREADS = "threads";
    private static final int PEEK_BYTES = 4096;
    private static final int MAX_JSON_NESTING = 32;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(ProfileLimits.MAX_LINE_BYTES)
                    .maxNameLength(ProfileLimits.MAX_LINE_BYTES)
                    .maxNestingDepth(MAX_JSON_NESTING)
                    .maxNumberLength(100)
                    .build())
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
            .build();

    private JvmThreadDumpParser() {
    }

    /**
     * Parses one thread dump from {@code in}, reading at most {@code maxBytes} bytes.
     *
     * @return the threads left out because their block could not be read
     * @throws ProfileParseException when the input is not a thread dump, is truncated or
     *                               malformed, exceeds {@code maxBytes}, or cannot be read
     */
    public static SkippedRecords parse(InputStream in, long maxBytes, Consumer<StackRecord> sink) throws ProfileParseException {
        BufferedInputStream buffered = new BufferedInputStream(new ProfileSizeLimitedStream(in, maxBytes), PEEK_BYTES * 2);
        if (startsWithJsonObject(buffered)) {
            return new JsonDump(sink).parse(buffered);
        }
        return new TextDump(new ProfileLineReader(buffered), sink).parse();
    }

    private static boolean startsWithJsonObject(BufferedInputStream in) throws ProfileParseException {
        try {
            in.mark(PEEK_BYTES);
            try {
                for (int i = 0; i < PEEK_BYTES; i++) {
                    int b = in.read();
                    boolean skippable = b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == 0xEF || b == 0xBB || b == 0xBF;
                    if (!skippable) {
                        return b == '{';
                    }
                }
                return false;
            } finally {
                in.reset();
            }
        } catch (ProfileSizeLimitedStream.TooLarge e) {
            throw ProfileParseException.at(0, e.getMessage(), e);
        } catch (IOException e) {
            throw ProfileParseException.at(0, "reading the thread dump failed: " + e, e);
        }
    }

    /**
     * {@code java.base@17.0.15/java.lang.Object.wait(Native Method)} → {@code java.lang.Object.wait};
     * {@code app//com.example.Foo.bar(Foo.java:1)} → {@code com.example.Foo.bar}. A hidden class's
     * own slash ({@code Foo$$Lambda$242/0x0000….run}) is part of the name, not of the prefix.
     */
    static String frameFunction(String frame) {
        int paren = frame.indexOf('(');
        String function = paren < 0 ? frame : frame.substring(0, paren);
        int hiddenClassSlash = function.lastIndexOf("/0x");
        int prefixSearchEnd = hiddenClassSlash < 0 ? function.length() - 1 : hiddenClassSlash - 1;
        int prefixEnd = prefixSearchEnd < 0 ? -1 : function.lastIndexOf('/', prefixSearchEnd);
        return function.substring(prefixEnd + 1).strip();
    }

    private enum TextForm { JSTACK, ACTUATOR, DUMP_TO_FILE }

    /** jstack, jcmd Thread.print, Actuator's text/plain and jcmd Thread.dump_to_file's text. */
    private static final class TextDump {
        private final ProfileLineReader lines;
        private final Consumer<StackRecord> sink;
        private final RecordSkips skips = new RecordSkips();
        private TextForm form;
        private boolean open;
        private String name;
        private String state;
        private List<String> frames = new ArrayList<>();
        private boolean sawSynchronizers;
        private boolean sawSynchronizerList;
        private boolean skipping;
        private long threadLine;

        TextDump(ProfileLineReader lines, Consumer<StackRecord> sink) {
            this.lines = lines;
            this.sink = sink;
        }

        SkippedRecords parse() throws ProfileParseException {
            String line = skipPreamble();
            for (; line != null; line = lines.next()) {
                if (isThreadHeader(line)) {
                    finishThread(false);
                    startThread(line);
                } else if (form == TextForm.JSTACK && line.startsWith(JNI_TRAILER)) {
                    finishThread(true);
                    // jstack and jcmd end here; anything after the trailer is not about threads.
                    return skips.result("threads");
                } else if (line.startsWith("\t") || line.startsWith(" ")) {
                    threadLine(line);
                } else if (!line.isEmpty()) {
                    skip("unexpected line in the thread list", line);
                }
            }
            finishThread(true);
            if (form == TextForm.JSTACK) {
                throw ProfileParseException.at(lines.lineNumber(),
                        "the thread dump ends before its \"JNI global refs\" line (truncated?)");
            }
            return skips.result("threads");
        }

        /**
         * Skips the timestamp, {@code Full thread dump …} and SMR lines (or the process id, time and
         * version of {@code Thread.dump_to_file}); returns the first thread header.
         */
        private String skipPreamble() throws ProfileParseException {
            boolean sawFullThreadDump = false;
            for (String line = lines.next(); line != null; line = lines.next()) {
                if (line.startsWith(FULL_THREAD_DUMP)) {
                    sawFullThreadDump = true;
                } else if (line.startsWith("\"")) {
                    if (!sawFullThreadDump) {
                        break;
                    }
                    return line;
                } else if (!sawFullThreadDump && DUMP_TO_FILE_HEADER.matcher(line).matches()) {
                    form = TextForm.DUMP_TO_FILE;
                    return line;
                }
            }
            throw ProfileParseException.at(lines.lineNumber(), sawFullThreadDump
                    ? "the thread dump has no threads (truncated?)"
                    : "not a JVM thread dump: expected a \"" + FULL_THREAD_DUMP + "\" line before the first thread");
        }

        private boolean isThreadHeader(String line) {
            return form == TextForm.DUMP_TO_FILE ? DUMP_TO_FILE_HEADER.matcher(line).matches() : line.startsWith("\"");
        }

        private void startThread(String header) throws ProfileParseException {
            open = true;
            threadLine = lines.lineNumber();
            int openingQuote = header.indexOf('"');
            int closingQuote = header.lastIndexOf('"');
            if (closingQuote == openingQuote) {
                // A thread name with a line break: the rest of the name and the header are on the next line.
                skip("thread name without a closing quote", header);
                return;
            }
            name = header.substring(openingQuote + 1, closingQuote);
            if (form == TextForm.DUMP_TO_FILE) {
                state = dumpToFileState(header.substring(closingQuote + 1));
                return;
            }
            TextForm headerForm = header.startsWith(ACTUATOR_HEADER_MARK, closingQuote + 1) ? TextForm.ACTUATOR : TextForm.JSTACK;
            if (form == null) {
                form = headerForm;
            } else if (form != headerForm) {
                throw ProfileParseException.at(lines.lineNumber(), "thread header of a different dump form", header);
            }
        }

        /** {@code  virtual WAITING 2026-12-02T19:05:59.869Z} → {@code WAITING}; JDK 21 prints no state (null). */
        private static String dumpToFileState(String afterName) {
            for (String word : afterName.strip().split(" +")) {
                if (!word.isEmpty() && !word.equals(VIRTUAL_MARK) && word.chars().allMatch(c -> c == '_' || (c >= 'A' && c <= 'Z'))) {
                    return word;
                }
            }
            return null;
        }

        private void threadLine(String line) {
            if (skipping) {
                return;
            }
            String trimmed = line.strip();
            boolean dumpToFileFrame = form == TextForm.DUMP_TO_FILE && !trimmed.isEmpty() && !trimmed.startsWith("- ");
            if (trimmed.startsWith("at ") || dumpToFileFrame) {
                if (sawSynchronizers) {
                    skip("frame after the synchronizer list", line);
                } else if (frames.size() < ProfileLimits.MAX_FRAMES_KEPT) {
                    String function = frameFunction(trimmed.startsWith("at ") ? trimmed.substring(3) : trimmed);
                    if (function.isEmpty()) {
                        skip("frame without a method name", line);
                    } else {
                        frames.add(function);
                    }
                }
            } else if (trimmed.startsWith(STATE_PREFIX)) {
                state = trimmed.substring(STATE_PREFIX.length()).strip();
            } else if (trimmed.equals(SYNCHRONIZERS)) {
                sawSynchronizers = true;
            } else if (trimmed.startsWith("- ") && sawSynchronizers) {
                sawSynchronizerList = true;
            }
            // Lock lines ("- locked <…>") and notes ("No compile task", "Carrying virtual thread #N") do not affect grouping.
        }

        private void skip(String problem, String line) {
            if (open && !skipping) {
                skips.skip(lines.lineNumber(), ProfileParseException.quoting(problem, line));
                skipping = true;
            }
        }

        /** {@code last}: the dump ends with this thread, so a missing synchronizer list means it was cut short. */
        private void finishThread(boolean last) throws ProfileParseException {
            if (!open) {
                return;
            }
            if (form == TextForm.ACTUATOR && !sawSynchronizerList && !skipping) {
                if (last) {
                    throw ProfileParseException.at(threadLine,
                            "thread \"" + name + "\" ends before its \"" + SYNCHRONIZERS + "\" list (truncated?)");
                }
                skips.skip(threadLine, ProfileParseException.quoting("thread ends before its \"" + SYNCHRONIZERS + "\" list", name));
                skipping = true;
            }
            if (!skipping) {
                sink.accept(new StackRecord(name, state, frames, null, 1));
                skips.read();
            }
            open = false;
            name = null;
            state = null;
            frames = new ArrayList<>();
            sawSynchronizers = false;
            sawSynchronizerList = false;
            skipping = false;
        }
    }

    /** Actuator's {@code application/json} form and {@code jcmd Thread.dump_to_file -format=json}. */
    private static final class JsonDump {
        private final Consumer<StackRecord> sink;
        private final RecordSkips skips = new RecordSkips();
        private JsonParser json;
        private boolean sawThreads;

        JsonDump(Consumer<StackRecord> sink) {
            this.sink = sink;
        }

        SkippedRecords parse(InputStream in) throws ProfileParseException {
            try (JsonParser parser = JSON.createParser(in)) {
                json = parser;
                parseDocument();
            } catch (ProfileSizeLimitedStream.TooLarge e) {
                throw ProfileParseException.at(lineOf(json), e.getMessage(), e);
            } catch (JsonProcessingException e) {
                JsonLocation where = e.getLocation();
                throw ProfileParseException.at(where == null ? 0 : where.getLineNr(),
                        "malformed JSON: " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw ProfileParseException.at(lineOf(json), "reading the thread dump failed: " + e, e);
            }
            return skips.result("threads");
        }

        private void parseDocument() throws IOException, ProfileParseException {
            expect(json.nextToken() == JsonToken.START_OBJECT, "expected a JSON object");
            readFields((field, value) -> switch (field) {
                case THREADS -> parseThreads(value, ThreadFields.ACTUATOR);
                case "threadDump" -> {
                    expect(value == JsonToken.START_OBJECT, "\"threadDump\" must be an object");
                    readFields(this::threadContainers);
                    yield true;
                }
                default -> false;
            });
            expect(json.currentToken() == JsonToken.END_OBJECT, "expected a field or the end of the object");
            expect(json.nextToken() == null, "unexpected content after the thread dump");
            expect(sawThreads, "no \"threads\" array: not an Actuator thread dump or a JDK Thread.dump_to_file");
        }

        /** {@code "threadDump": {…, "threadContainers": [{"container": …, "threads": […]}, …]}}. */
        private boolean threadContainers(String field, JsonToken value) throws IOException, ProfileParseException {
            if (!"threadContainers".equals(field)) {
                return false;
            }
            expect(value == JsonToken.START_ARRAY, "\"threadContainers\" must be an array");
            while (json.nextToken() == JsonToken.START_OBJECT) {
                readFields((containerField, containerValue) ->
                        THREADS.equals(containerField) && parseThreads(containerValue, ThreadFields.DUMP_TO_FILE));
            }
            expect(json.currentToken() == JsonToken.END_ARRAY, "\"threadContainers\" must hold container objects");
            return true;
        }

        /** Reads the current object's fields: each goes to {@code reader}; one it does not read (false) is skipped. */
        private void readFields(FieldReader reader) throws IOException, ProfileParseException {
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                JsonToken value = json.nextToken();
                if (!reader.read(field, value)) {
                    json.skipChildren();
                }
            }
        }

        @FunctionalInterface
        private interface FieldReader {
            boolean read(String field, JsonToken value) throws IOException, ProfileParseException;
        }

        /** Field names of one thread: Actuator's, or those of {@code Thread.dump_to_file}, whose frames are strings. */
        private enum ThreadFields {
            ACTUATOR("threadName", "threadState", "stackTrace"),
            DUMP_TO_FILE("name", "state", "stack");

            final String name;
            final String state;
            final String stack;

            ThreadFields(String name, String state, String stack) {
                this.name = name;
                this.state = state;
                this.stack = stack;
            }
        }

        /** Always true: the field was read. */
        private boolean parseThreads(JsonToken value, ThreadFields fields) throws IOException, ProfileParseException {
            expect(value == JsonToken.START_ARRAY, "\"threads\" must be an array");
            while (json.nextToken() == JsonToken.START_OBJECT) {
                parseThread(fields);
            }
            expect(json.currentToken() == JsonToken.END_ARRAY, "\"threads\" must hold thread objects");
            sawThreads = true;
            return true;
        }

        private void parseThread(ThreadFields fields) throws IOException, ProfileParseException {
            long threadLine = lineOf(json);
            String name = null;
            String state = null;
            List<String> frames = new ArrayList<>();
            String problem = null;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                JsonToken value = json.nextToken();
                if (field.equals(fields.name)) {
                    name = string(value, field);
                } else if (field.equals(fields.state)) {
                    state = string(value, field);
                } else if (field.equals(fields.stack)) {
                    String frameProblem = fields == ThreadFields.ACTUATOR ? parseStackTrace(value, frames) : parseStack(value, frames);
                    problem = problem == null ? frameProblem : problem;
                } else {
                    json.skipChildren();
                }
            }
            if (name == null) {
                problem = "thread without a \"" + fields.name + "\"";
            }
            if (problem != null) {
                skips.skip(threadLine, problem);
            } else {
                sink.accept(new StackRecord(name, state, frames, null, 1));
                skips.read();
            }
        }

        /** Actuator's frame objects; returns what was wrong with one, or null. */
        private String parseStackTrace(JsonToken value, List<String> frames) throws IOException, ProfileParseException {
            expect(value == JsonToken.START_ARRAY, "\"stackTrace\" must be an array");
            String problem = null;
            while (json.nextToken() == JsonToken.START_OBJECT) {
                String className = null;
                String methodName = null;
                while (json.nextToken() == JsonToken.FIELD_NAME) {
                    String field = json.currentName();
                    JsonToken frameValue = json.nextToken();
                    switch (field) {
                        case "className" -> className = string(frameValue, field);
                        case "methodName" -> methodName = string(frameValue, field);
                        default -> json.skipChildren();
                    }
                }
                if (className == null || methodName == null) {
                    problem = "stack frame without \"className\" and \"methodName\"";
                } else if (frames.size() < ProfileLimits.MAX_FRAMES_KEPT) {
                    frames.add(className + "." + methodName);
                }
            }
            expect(json.currentToken() == JsonToken.END_ARRAY, "\"stackTrace\" must hold frame objects");
            return problem;
        }

        /** {@code Thread.dump_to_file}'s frames, printed like {@code StackTraceElement.toString()}; returns what was wrong with one, or null. */
        private String parseStack(JsonToken value, List<String> frames) throws IOException, ProfileParseException {
            expect(value == JsonToken.START_ARRAY, "\"stack\" must be an array");
            String problem = null;
            for (JsonToken frame = json.nextToken(); frame != JsonToken.END_ARRAY; frame = json.nextToken()) {
                String function = frameFunction(string(frame, "stack"));
                if (function.isEmpty()) {
                    problem = "stack frame without a method name";
                } else if (frames.size() < ProfileLimits.MAX_FRAMES_KEPT) {
                    frames.add(function);
                }
            }
            return problem;
        }

        private String string(JsonToken value, String field) throws IOException, ProfileParseException {
            expect(value == JsonToken.VALUE_STRING, "\"" + field + "\" must be a string");
            return json.getText();
        }

        private void expect(boolean condition, String problem) throws ProfileParseException {
            if (!condition) {
                throw ProfileParseException.at(lineOf(json), problem);
            }
        }

        private static long lineOf(JsonParser parser) {
            return parser == null ? 0 : Math.max(parser.currentLocation().getLineNr(), 0);
        }
    }
}
