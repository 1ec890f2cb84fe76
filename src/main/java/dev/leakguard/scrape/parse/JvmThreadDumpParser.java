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

/**
 * Streams a JVM thread dump into {@link StackRecord}s, one per thread. Three forms are read,
 * told apart by their start:
 * <ul>
 *   <li>{@code jstack <pid>} and {@code jcmd <pid> Thread.print}: a {@code Full thread dump}
 *       line, thread blocks headed {@code "name" #1 daemon prio=5 … } with a
 *       {@code java.lang.Thread.State:} line and {@code \tat class.method(File.java:1)}
 *       frames, VM-internal threads without either, and the closing
 *       {@code JNI global refs} line, whose absence means the dump was cut short.</li>
 *   <li>Spring Boot Actuator {@code /actuator/threaddump} as {@code text/plain}: the same
 *       layout with {@code "name" - Thread t@1} headers and module-qualified frames
 *       ({@code java.base@17/java.lang.Object.wait(Native Method)}); every block ends with a
 *       {@code Locked ownable synchronizers:} list, whose absence means it was cut short.</li>
 *   <li>Actuator's JSON ({@code {"threads":[{"threadName":…,"threadState":…,"stackTrace":[…]}]}}),
 *       read with Jackson's streaming parser.</li>
 * </ul>
 * Frames are {@code class.method}, without class loader, module, file or line. Memory is
 * bounded by one thread's record; records reach the sink as they complete, so after a
 * {@link ProfileParseException} the caller should discard what the sink built.
 *
 * <p>Thread names that contain line breaks are read correctly only from the JSON form.
 */
public final class JvmThreadDumpParser {

    private static final String FULL_THREAD_DUMP = "Full thread dump";
    private static final String STATE_PREFIX = "java.lang.Thread.State:";
    private static final String SYNCHRONIZERS = "Locked ownable synchronizers:";
    private static final String JNI_TRAILER = "JNI global ref";
    private static final String ACTUATOR_HEADER_MARK = " - Thread t@";
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
     * @throws ProfileParseException when the input is not a thread dump, is truncated or
     *                               malformed, exceeds {@code maxBytes}, or cannot be read
     */
    public static void parse(InputStream in, long maxBytes, Consumer<StackRecord> sink) throws ProfileParseException {
        BufferedInputStream buffered = new BufferedInputStream(new ProfileSizeLimitedStream(in, maxBytes), PEEK_BYTES * 2);
        if (startsWithJsonObject(buffered)) {
            new JsonDump(sink).parse(buffered);
        } else {
            new TextDump(new ProfileLineReader(buffered), sink).parse();
        }
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

    private enum TextForm { JSTACK, ACTUATOR }

    /** jstack, jcmd Thread.print and Actuator's text/plain. */
    private static final class TextDump {
        private final ProfileLineReader lines;
        private final Consumer<StackRecord> sink;
        private TextForm form;
        private String name;
        private String state;
        private List<String> frames = new ArrayList<>();
        private boolean sawSynchronizers;
        private boolean sawSynchronizerList;
        private long threadLine;

        TextDump(ProfileLineReader lines, Consumer<StackRecord> sink) {
            this.lines = lines;
            this.sink = sink;
        }

        void parse() throws ProfileParseException {
            String line = skipPreamble();
            for (; line != null; line = lines.next()) {
                if (line.startsWith("\"")) {
                    finishThread();
                    startThread(line);
                } else if (line.startsWith(JNI_TRAILER)) {
                    finishThread();
                    // jstack and jcmd end here; anything after the trailer is not about threads.
                    return;
                } else if (line.startsWith("\t") || line.startsWith(" ")) {
                    threadLine(line);
                } else if (!line.isEmpty()) {
                    throw ProfileParseException.at(lines.lineNumber(), "unexpected line in the thread list", line);
                }
            }
            finishThread();
            if (form == TextForm.JSTACK) {
                throw ProfileParseException.at(lines.lineNumber(),
                        "the thread dump ends before its \"JNI global refs\" line (truncated?)");
            }
        }

        /** Skips the timestamp, {@code Full thread dump …} and SMR lines; returns the first thread header. */
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
                }
            }
            throw ProfileParseException.at(lines.lineNumber(), sawFullThreadDump
                    ? "the thread dump has no threads (truncated?)"
                    : "not a JVM thread dump: expected a \"" + FULL_THREAD_DUMP + "\" line before the first thread");
        }

        private void startThread(String header) throws ProfileParseException {
            int closingQuote = header.lastIndexOf('"');
            if (closingQuote == 0) {
                throw ProfileParseException.at(lines.lineNumber(), "thread name without a closing quote", header);
            }
            TextForm headerForm = header.startsWith(ACTUATOR_HEADER_MARK, closingQuote + 1) ? TextForm.ACTUATOR : TextForm.JSTACK;
            if (form == null) {
                form = headerForm;
            } else if (form != headerForm) {
                throw ProfileParseException.at(lines.lineNumber(), "thread header of a different dump form", header);
            }
            name = header.substring(1, closingQuote);
            threadLine = lines.lineNumber();
        }

        private void threadLine(String line) throws ProfileParseException {
            String trimmed = line.strip();
            if (trimmed.startsWith("at ")) {
                if (sawSynchronizers) {
                    throw ProfileParseException.at(lines.lineNumber(), "frame after the synchronizer list", line);
                }
                if (frames.size() < ProfileLimits.MAX_FRAMES_KEPT) {
                    String function = frameFunction(trimmed.substring(3));
                    if (function.isEmpty()) {
                        throw ProfileParseException.at(lines.lineNumber(), "frame without a method name", line);
                    }
                    frames.add(function);
                }
            } else if (trimmed.startsWith(STATE_PREFIX)) {
                state = trimmed.substring(STATE_PREFIX.length()).strip();
            } else if (trimmed.equals(SYNCHRONIZERS)) {
                sawSynchronizers = true;
            } else if (trimmed.startsWith("- ") && sawSynchronizers) {
                sawSynchronizerList = true;
            }
            // Lock lines ("- locked <…>") and notes such as "No compile task" do not affect grouping.
        }

        private void finishThread() throws ProfileParseException {
            if (name == null) {
                return;
            }
            if (form == TextForm.ACTUATOR && !sawSynchronizerList) {
                throw ProfileParseException.at(threadLine,
                        "thread \"" + name + "\" ends before its \"" + SYNCHRONIZERS + "\" list (truncated?)");
            }
            sink.accept(new StackRecord(name, state, frames, null, 1));
            name = null;
            state = null;
            frames = new ArrayList<>();
            sawSynchronizers = false;
            sawSynchronizerList = false;
        }
    }

    /** Actuator's {@code application/json} form. */
    private static final class JsonDump {
        private final Consumer<StackRecord> sink;
        private JsonParser json;

        JsonDump(Consumer<StackRecord> sink) {
            this.sink = sink;
        }

        void parse(InputStream in) throws ProfileParseException {
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
        }

        private void parseDocument() throws IOException, ProfileParseException {
            expect(json.nextToken() == JsonToken.START_OBJECT, "expected a JSON object");
            boolean sawThreads = false;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                JsonToken value = json.nextToken();
                if ("threads".equals(field)) {
                    expect(value == JsonToken.START_ARRAY, "\"threads\" must be an array");
                    while (json.nextToken() == JsonToken.START_OBJECT) {
                        parseThread();
                    }
                    expect(json.currentToken() == JsonToken.END_ARRAY, "\"threads\" must hold thread objects");
                    sawThreads = true;
                } else {
                    json.skipChildren();
                }
            }
            expect(json.currentToken() == JsonToken.END_OBJECT, "expected a field or the end of the object");
            expect(json.nextToken() == null, "unexpected content after the thread dump");
            expect(sawThreads, "no \"threads\" array: not an Actuator thread dump");
        }

        private void parseThread() throws IOException, ProfileParseException {
            long threadLine = lineOf(json);
            String name = null;
            String state = null;
            List<String> frames = new ArrayList<>();
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                JsonToken value = json.nextToken();
                switch (field) {
                    case "threadName" -> name = string(value, field);
                    case "threadState" -> state = string(value, field);
                    case "stackTrace" -> parseStackTrace(value, frames);
                    default -> json.skipChildren();
                }
            }
            if (name == null) {
                throw ProfileParseException.at(threadLine, "thread without a \"threadName\"");
            }
            sink.accept(new StackRecord(name, state, frames, null, 1));
        }

        private void parseStackTrace(JsonToken value, List<String> frames) throws IOException, ProfileParseException {
            expect(value == JsonToken.START_ARRAY, "\"stackTrace\" must be an array");
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
                expect(className != null && methodName != null, "stack frame without \"className\" and \"methodName\"");
                if (frames.size() < ProfileLimits.MAX_FRAMES_KEPT) {
                    frames.add(className + "." + methodName);
                }
            }
            expect(json.currentToken() == JsonToken.END_ARRAY, "\"stackTrace\" must hold frame objects");
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
