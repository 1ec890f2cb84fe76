package dev.leakguard.scrape.parse;

import dev.leakguard.text.BoundedText;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the Prometheus text exposition format 0.0.4 and OpenMetrics text in one pass over the raw
 * bytes, and sums the series that a few {@link SeriesSelector}s pick out.
 *
 * <p>A scrape body has hundreds of series and leakguard wants one or two of them, so lines are
 * handled by cost: a line whose metric name no selector names is only checked up to the end of
 * the name and then skipped; only lines of a selected metric have their labels decoded, their
 * numbers parsed and their label sets checked for duplicates. Comment lines are checked for the
 * metric name of {@code # HELP}, {@code # TYPE} and {@code # UNIT} and for the {@code # EOF}
 * terminator, after which only blank space may follow.
 *
 * <p>Accepted on every line: spaces or tabs between tokens, CRLF line ends, a last line without a
 * newline, blank lines. On a selected line: label values with the escapes {@code \\ \" \n}, values
 * {@code NaN}, {@code +Inf}, {@code -Inf} (any case, as Go's ParseFloat), an optional timestamp
 * (integer milliseconds in 0.0.4, float seconds in OpenMetrics; it is checked and ignored) and an
 * OpenMetrics exemplar after {@code " # "}.
 *
 * <p>Malformed input only ever raises {@link MetricsParseException}; each line and label value is
 * capped, so the work is linear in the body size. The whole body is read, also past the last selected
 * family, so a malformed tail fails the scrape like malformed lines anywhere else: stopping once the
 * selected families have ended was measured to save under 2 µs per scrape on real bodies, whose selected
 * families come late (docs/performance.md, "Work per scrape above the floor").
 */
public final class PrometheusTextParser {

    /** Longest accepted line, newline excluded. */
    public static final int MAX_LINE_BYTES = 64 * 1024;
    /** Longest accepted label value after unescaping. */
    public static final int MAX_LABEL_VALUE_BYTES = 16 * 1024;
    /** Most labels accepted on one series. */
    public static final int MAX_LABELS = 128;
    private static final int MAX_NUMBER_CHARS = 64;
    private static final int MAX_EXACT_DIGITS = 15;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private static final long LOW_BITS = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;

    private static final boolean[] METRIC_NAME_START = new boolean[256];
    private static final boolean[] METRIC_NAME_PART = new boolean[256];
    private static final boolean[] LABEL_NAME_START = new boolean[256];
    private static final boolean[] LABEL_NAME_PART = new boolean[256];
    /** Compared as bytes: a body has a TYPE line per metric family, and a String for each was a fifth of the parse time. */
    private static final byte[][] METRIC_TYPES = Stream.of(
                    "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown", "untyped")
            .map(type -> type.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    static {
        for (int c = 0; c < 256; c++) {
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
            boolean digit = c >= '0' && c <= '9';
            LABEL_NAME_START[c] = letter;
            LABEL_NAME_PART[c] = letter || digit;
            METRIC_NAME_START[c] = letter || c == ':';
            METRIC_NAME_PART[c] = letter || digit || c == ':';
        }
    }

    private PrometheusTextParser() {
    }

    /**
     * Sums, for each selector, the values of the series it matches in {@code body[0, length)}.
     *
     * @throws MetricsParseException when the body is malformed, or a selected metric has two series
     *                               with the same label set
     */
    public static ExtractedValues extract(byte[] body, int length, List<SeriesSelector> selectors)
            throws MetricsParseException {
        Objects.requireNonNull(body, "body");
        Objects.checkFromIndexSize(0, length, body.length);
        Extraction extraction = new Extraction(body, length, List.copyOf(selectors));
        extraction.run();
        return extraction.result();
    }

    /** The series of one metric name and the selectors that ask for it. */
    private static final class SelectedMetric {
        final byte[] name;
        final List<Integer> selectorIndexes = new ArrayList<>();
        final Set<String> seenLabelSets = new HashSet<>();

        SelectedMetric(String name) {
            this.name = name.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** State of one extract call: the cursor over the current line and the sums so far. */
    private static final class Extraction {
        private final byte[] buf;
        private final int end;
        private final List<SeriesSelector> selectors;
        private final SelectedMetric[] metrics;
        private final double[] sums;
        private final int[] matches;

        // Sized for typical series and grown on demand: a scrape is a few KB to a few MB, and
        // allocating for the caps on every call would cost more than parsing a small body.
        private String[] labelNames = new String[8];
        private String[] labelValues = new String[8];
        private int labelCount;
        private byte[] unescaped = new byte[0];

        private int lineNumber;
        private int pos;
        private int lineEnd;
        /** The last metric name found valid, {@code buf[validNameStart, validNameEnd)}; see {@link #scanMetricName()}. */
        private int validNameStart;
        private int validNameEnd;

        Extraction(byte[] buf, int end, List<SeriesSelector> selectors) {
            this.buf = buf;
            this.end = end;
            this.selectors = selectors;
            this.sums = new double[selectors.size()];
            this.matches = new int[selectors.size()];
            Map<String, SelectedMetric> byName = new LinkedHashMap<>();
            for (int i = 0; i < selectors.size(); i++) {
                byName.computeIfAbsent(selectors.get(i).metricName(), SelectedMetric::new).selectorIndexes.add(i);
            }
            this.metrics = byName.values().toArray(new SelectedMetric[0]);
        }

        ExtractedValues result() {
            return new ExtractedValues(sums, matches);
        }

        void run() throws MetricsParseException {
            int lineStart = 0;
            while (lineStart < end) {
                lineNumber++;
                int newline = findNewline(lineStart);
                int contentEnd = newline > lineStart && buf[newline - 1] == '\r' ? newline - 1 : newline;
                if (parseLine(lineStart, contentEnd)) {
                    requireOnlyBlankSpaceFrom(newline + 1);
                    return;
                }
                lineStart = newline + 1;
            }
        }

        /** Index of the newline ending the line at {@code from}, or {@code end}; fails past the line cap. */
        private int findNewline(int from) throws MetricsParseException {
            int limit = (int) Math.min(end, (long) from + MAX_LINE_BYTES + 1);
            int p = indexOfNewline(buf, from, limit);
            if (p - from > MAX_LINE_BYTES) {
                throw problem("line is longer than " + MAX_LINE_BYTES + " bytes");
            }
            return p;
        }

        /** Handles one line without its line end; true when it is the OpenMetrics {@code # EOF}. */
        private boolean parseLine(int start, int contentEnd) throws MetricsParseException {
            pos = start;
            lineEnd = contentEnd;
            skipBlanks();
            if (pos == lineEnd) {
                return false;
            }
            if (buf[pos] == '#') {
                return parseComment();
            }
            int nameStart = pos;
            if (!scanMetricName()) {
                throw problem("expected a metric name or '#' but found " + describeAt(pos));
            }
            SelectedMetric metric = selectedMetric(nameStart, pos);
            if (pos == lineEnd) {
                throw problem("missing value after metric name");
            }
            byte next = buf[pos];
            if (next != ' ' && next != '\t' && next != '{') {
                throw problem("unexpected " + describeAt(pos) + " after metric name");
            }
            if (metric != null) {
                parseSelectedSeries(metric);
            }
            return false;
        }

        private SelectedMetric selectedMetric(int nameStart, int nameEnd) {
            int nameLength = nameEnd - nameStart;
            for (SelectedMetric metric : metrics) {
                if (metric.name.length == nameLength
                        && Arrays.equals(buf, nameStart, nameEnd, metric.name, 0, nameLength)) {
                    return metric;
                }
            }
            return null;
        }

        private boolean parseComment() throws MetricsParseException {
            pos++;
            if (startsWith(" EOF")) {
                pos += 4;
                skipBlanks();
                return pos == lineEnd;
            }
            if (startsWith(" HELP ") || startsWith(" UNIT ")) {
                pos += 6;
                readDescriptorName();
            } else if (startsWith(" TYPE ")) {
                pos += 6;
                readDescriptorName();
                skipBlanks();
                int typeEnd = lineEnd;
                while (typeEnd > pos && Character.isWhitespace((char) (buf[typeEnd - 1] & 0xff))) {
                    typeEnd--;
                }
                if (!isMetricType(pos, typeEnd)) {
                    throw problem("unknown metric type "
                            + BoundedText.quote(new String(buf, pos, typeEnd - pos, StandardCharsets.ISO_8859_1)));
                }
            }
            return false;
        }

        private void readDescriptorName() throws MetricsParseException {
            skipBlanks();
            if (!scanMetricName()) {
                throw problem("expected a metric name after the comment keyword");
            }
            if (pos < lineEnd && buf[pos] != ' ' && buf[pos] != '\t') {
                throw problem("unexpected " + describeAt(pos) + " in metric name of comment");
            }
        }

        private boolean isMetricType(int start, int stop) {
            for (byte[] type : METRIC_TYPES) {
                if (Arrays.equals(buf, start, stop, type, 0, type.length)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Moves past the metric name at {@code pos}; false (pos unmoved) when no name starts there. A family's
         * HELP, TYPE and sample lines repeat its name, so the bytes this name shares with the last valid one are
         * compared at once (a vectorized mismatch) instead of being checked byte by byte against the name
         * alphabet: a prefix of a valid name is valid. Checking every name byte that way was a third of the
         * parse time.
         */
        private boolean scanMetricName() {
            int nameStart = pos;
            int comparable = Math.min(validNameEnd - validNameStart, lineEnd - pos);
            int shared = Arrays.mismatch(buf, pos, pos + comparable, buf, validNameStart, validNameStart + comparable);
            pos += shared < 0 ? comparable : shared;
            if (pos == nameStart) {
                if (pos == lineEnd || !METRIC_NAME_START[buf[pos] & 0xff]) {
                    return false;
                }
                pos++;
            }
            while (pos < lineEnd && METRIC_NAME_PART[buf[pos] & 0xff]) {
                pos++;
            }
            validNameStart = nameStart;
            validNameEnd = pos;
            return true;
        }

        private void parseSelectedSeries(SelectedMetric metric) throws MetricsParseException {
            labelCount = 0;
            skipBlanks();
            if (pos < lineEnd && buf[pos] == '{') {
                parseLabelSet(true);
                skipBlanks();
            }
            if (pos == lineEnd) {
                throw problem("missing value");
            }
            double value = readNumber("value");
            if (skipBlanks() && pos < lineEnd && buf[pos] != '#') {
                readTimestamp();
                skipBlanks();
            }
            if (pos < lineEnd) {
                if (buf[pos] != '#') {
                    throw problem("unexpected " + describeAt(pos) + " after value");
                }
                parseExemplar();
            }
            if (!metric.seenLabelSets.add(canonicalLabelSet())) {
                throw problem("duplicate series " + BoundedText.quote(seriesText(metric)));
            }
            for (int selectorIndex : metric.selectorIndexes) {
                if (selectors.get(selectorIndex).matchesLabels(labelNames, labelValues, labelCount)) {
                    sums[selectorIndex] += value;
                    matches[selectorIndex]++;
                }
            }
        }

        private void parseExemplar() throws MetricsParseException {
            pos++;
            if (!skipBlanks() || pos == lineEnd || buf[pos] != '{') {
                throw problem("expected an exemplar label set after '#'");
            }
            parseLabelSet(false);
            skipBlanks();
            if (pos == lineEnd) {
                throw problem("missing exemplar value");
            }
            readNumber("exemplar value");
            if (skipBlanks() && pos < lineEnd) {
                readTimestamp();
                skipBlanks();
            }
            if (pos < lineEnd) {
                throw problem("unexpected " + describeAt(pos) + " after exemplar");
            }
        }

        /** Reads {@code {name="value",...}} from the '{'; keeps the labels when {@code keep}. */
        private void parseLabelSet(boolean keep) throws MetricsParseException {
            pos++;
            while (true) {
                skipBlanks();
                if (pos == lineEnd) {
                    throw problem("unterminated label set");
                }
                if (buf[pos] == '}') {
                    pos++;
                    return;
                }
                int nameStart = pos;
                if (!LABEL_NAME_START[buf[pos] & 0xff]) {
                    throw problem("expected a label name but found " + describeAt(pos));
                }
                while (pos < lineEnd && LABEL_NAME_PART[buf[pos] & 0xff]) {
                    pos++;
                }
                String name = new String(buf, nameStart, pos - nameStart, StandardCharsets.ISO_8859_1);
                skipBlanks();
                if (pos == lineEnd || buf[pos] != '=') {
                    throw problem("expected '=' after label name " + BoundedText.quote(name));
                }
                pos++;
                skipBlanks();
                if (pos == lineEnd || buf[pos] != '"') {
                    throw problem("expected '\"' to open the value of label " + BoundedText.quote(name));
                }
                pos++;
                String value = readLabelValue(name);
                if (keep) {
                    addLabel(name, value);
                }
                skipBlanks();
                if (pos < lineEnd && buf[pos] == ',') {
                    pos++;
                } else if (pos < lineEnd && buf[pos] == '}') {
                    pos++;
                    return;
                } else {
                    throw problem("expected ',' or '}' after the value of label " + BoundedText.quote(name));
                }
            }
        }

        /** Reads a label value after its opening quote, through the closing quote. */
        private String readLabelValue(String labelName) throws MetricsParseException {
            int start = pos;
            while (pos < lineEnd && buf[pos] != '"' && buf[pos] != '\\') {
                pos++;
            }
            if (pos < lineEnd && buf[pos] == '"') {
                checkLabelValueLength(pos - start, labelName);
                return new String(buf, start, pos++ - start, StandardCharsets.UTF_8);
            }
            int length = pos - start;
            checkLabelValueLength(length, labelName);
            ensureUnescapedCapacity(length + 1);
            System.arraycopy(buf, start, unescaped, 0, length);
            while (pos < lineEnd) {
                byte b = buf[pos++];
                if (b == '"') {
                    return new String(unescaped, 0, length, StandardCharsets.UTF_8);
                }
                if (b == '\\') {
                    if (pos == lineEnd) {
                        break;
                    }
                    byte escaped = buf[pos++];
                    b = switch (escaped) {
                        case '\\', '"' -> escaped;
                        case 'n' -> (byte) '\n';
                        default -> throw problem("invalid escape sequence: backslash followed by "
                                + describeByte(escaped) + " in the value of label " + BoundedText.quote(labelName));
                    };
                }
                checkLabelValueLength(length + 1, labelName);
                ensureUnescapedCapacity(length + 1);
                unescaped[length++] = b;
            }
            throw problem("unterminated value of label " + BoundedText.quote(labelName));
        }

        private void ensureUnescapedCapacity(int needed) {
            if (needed > unescaped.length) {
                int grown = Math.max(needed, 2 * unescaped.length + 64);
                unescaped = Arrays.copyOf(unescaped, Math.min(MAX_LABEL_VALUE_BYTES, grown));
            }
        }

        private void checkLabelValueLength(int length, String labelName) throws MetricsParseException {
            if (length > MAX_LABEL_VALUE_BYTES) {
                throw problem("the value of label " + BoundedText.quote(labelName)
                        + " is longer than " + MAX_LABEL_VALUE_BYTES + " bytes");
            }
        }

        private void addLabel(String name, String value) throws MetricsParseException {
            for (int i = 0; i < labelCount; i++) {
                if (labelNames[i].equals(name)) {
                    throw problem("duplicate label name " + BoundedText.quote(name));
                }
            }
            if (labelCount == MAX_LABELS) {
                throw problem("more than " + MAX_LABELS + " labels");
            }
            if (labelCount == labelNames.length) {
                labelNames = Arrays.copyOf(labelNames, 2 * labelCount);
                labelValues = Arrays.copyOf(labelValues, 2 * labelCount);
            }
            labelNames[labelCount] = name;
            labelValues[labelCount] = value;
            labelCount++;
        }

        /** The label set in a form independent of label order, for duplicate detection. */
        private String canonicalLabelSet() {
            sortLabelsByName();
            StringBuilder key = new StringBuilder();
            for (int i = 0; i < labelCount; i++) {
                // Length-prefixed, so no label value can imitate a separator.
                key.append(labelNames[i]).append('=').append(labelValues[i].length()).append(':')
                        .append(labelValues[i]).append(',');
            }
            return key.toString();
        }

        private void sortLabelsByName() {
            for (int i = 1; i < labelCount; i++) {
                String name = labelNames[i];
                String value = labelValues[i];
                int j = i - 1;
                while (j >= 0 && labelNames[j].compareTo(name) > 0) {
                    labelNames[j + 1] = labelNames[j];
                    labelValues[j + 1] = labelValues[j];
                    j--;
                }
                labelNames[j + 1] = name;
                labelValues[j + 1] = value;
            }
        }

        private String seriesText(SelectedMetric metric) {
            StringBuilder text = new StringBuilder(new String(metric.name, StandardCharsets.US_ASCII)).append('{');
            for (int i = 0; i < labelCount; i++) {
                text.append(i > 0 ? "," : "").append(labelNames[i]).append("=\"").append(labelValues[i]).append('"');
            }
            return text.append('}').toString();
        }

        private double readNumber(String what) throws MetricsParseException {
            int start = pos;
            skipToken();
            double value = parseNumber(buf, start, pos);
            if (value != value && !isNaNLiteral(start, pos)) {
                throw problem("invalid " + what + " " + tokenText(start, pos));
            }
            return value;
        }

        private void readTimestamp() throws MetricsParseException {
            int start = pos;
            skipToken();
            double timestamp = parseNumber(buf, start, pos);
            if (Double.isNaN(timestamp) || Double.isInfinite(timestamp)) {
                throw problem("invalid timestamp " + tokenText(start, pos));
            }
        }

        private boolean isNaNLiteral(int start, int stop) {
            return stop - start == 3 && (buf[start] | 0x20) == 'n' && (buf[start + 1] | 0x20) == 'a'
                    && (buf[start + 2] | 0x20) == 'n';
        }

        private void skipToken() {
            while (pos < lineEnd && buf[pos] != ' ' && buf[pos] != '\t') {
                pos++;
            }
        }

        /** Skips spaces and tabs; true if there were any. */
        private boolean skipBlanks() {
            int start = pos;
            while (pos < lineEnd && (buf[pos] == ' ' || buf[pos] == '\t')) {
                pos++;
            }
            return pos > start;
        }

        private boolean startsWith(String ascii) {
            if (lineEnd - pos < ascii.length()) {
                return false;
            }
            for (int i = 0; i < ascii.length(); i++) {
                if (buf[pos + i] != ascii.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private void requireOnlyBlankSpaceFrom(int from) throws MetricsParseException {
            for (int p = from; p < end; p++) {
                byte b = buf[p];
                if (b == '\n') {
                    lineNumber++;
                } else if (b != ' ' && b != '\t' && b != '\r') {
                    lineNumber++;
                    throw problem("content after # EOF");
                }
            }
        }

        private String tokenText(int start, int stop) {
            return BoundedText.quote(new String(buf, start, Math.min(stop - start, 80), StandardCharsets.UTF_8));
        }

        private String describeAt(int p) {
            return describeByte(buf[p]);
        }

        private static String describeByte(byte b) {
            int c = b & 0xff;
            return c >= 0x21 && c < 0x7f ? "'" + (char) c + "'" : String.format("byte 0x%02x", c);
        }

        private MetricsParseException problem(String what) {
            return new MetricsParseException(lineNumber, what);
        }
    }

    /**
     * The first '\n' in {@code buf[from, limit)}, or {@code limit}. Most of a body is skipped by this
     * search, so it tests eight bytes per step: a byte of {@code word ^ NEWLINES} is zero exactly
     * where there is a newline, and {@code (x - 0x01..) & ~x & 0x80..} flags the lowest zero byte.
     */
    static int indexOfNewline(byte[] buf, int from, int limit) {
        int p = from;
        while (p + Long.BYTES <= limit) {
            long word = (long) LONGS.get(buf, p) ^ NEWLINES;
            long zeroBytes = (word - LOW_BITS) & ~word & HIGH_BITS;
            if (zeroBytes != 0) {
                return p + (Long.numberOfTrailingZeros(zeroBytes) >>> 3);
            }
            p += Long.BYTES;
        }
        while (p < limit && buf[p] != '\n') {
            p++;
        }
        return p;
    }

    /**
     * Parses {@code buf[start, stop)} as a Prometheus float: decimal or exponent notation, or
     * Inf/Infinity/NaN in any case with an optional sign on Inf. Returns NaN for anything else, so
     * callers tell a NaN literal from garbage by the text.
     */
    static double parseNumber(byte[] buf, int start, int stop) {
        int length = stop - start;
        if (length == 0 || length > MAX_NUMBER_CHARS) {
            return Double.NaN;
        }
        int digitsStart = start;
        boolean negative = false;
        if (buf[start] == '-' || buf[start] == '+') {
            negative = buf[start] == '-';
            digitsStart++;
        }
        long exact = 0;
        int p = digitsStart;
        while (p < stop && p - digitsStart < MAX_EXACT_DIGITS && buf[p] >= '0' && buf[p] <= '9') {
            exact = exact * 10 + (buf[p] - '0');
            p++;
        }
        if (p == stop && p > digitsStart) {
            return negative ? -exact : exact;
        }
        return parseGeneralNumber(buf, start, stop, digitsStart, negative);
    }

    private static double parseGeneralNumber(byte[] buf, int start, int stop, int digitsStart, boolean negative) {
        String word = new String(buf, digitsStart, stop - digitsStart, StandardCharsets.ISO_8859_1);
        if (word.equalsIgnoreCase("inf") || word.equalsIgnoreCase("infinity")) {
            return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        boolean sawDigit = false;
        for (int p = digitsStart; p < stop; p++) {
            byte b = buf[p];
            if (b >= '0' && b <= '9') {
                sawDigit = true;
            } else if (b != '.' && b != 'e' && b != 'E' && b != '+' && b != '-') {
                return Double.NaN;
            }
        }
        if (!sawDigit) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(new String(buf, start, stop - start, StandardCharsets.ISO_8859_1));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
