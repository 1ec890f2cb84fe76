package dev.leakguard.scrape.parse;

import dev.leakguard.text.BoundedText;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One metric name plus optional label matchers, written like a PromQL instant-vector selector:
 * {@code process_resident_memory_bytes}, {@code jvm_memory_used_bytes{area="heap"}},
 * {@code x{a="b",c!="d",e=~"ab.*",f!~"x|y"}}.
 *
 * <p>As in PromQL, a label that a series lacks counts as the empty string, and regular expressions
 * must match the whole value. Values may be quoted with {@code "} or {@code '}; the escapes
 * {@code \\ \" \' \n \t} are understood. {@link #toString()} writes the canonical form, which
 * {@link #parse(String)} reads back to an equal selector and which is also a PromQL selector (with
 * the caveat that Prometheus compiles regular expressions as RE2, which lacks e.g. lookaround).
 */
public final class SeriesSelector {

    private static final int MAX_SELECTOR_CHARS = 4096;

    private final String metricName;
    private final List<LabelMatcher> matchers;

    private SeriesSelector(String metricName, List<LabelMatcher> matchers) {
        this.metricName = metricName;
        this.matchers = List.copyOf(matchers);
    }

    /**
     * Reads a selector.
     *
     * @throws IllegalArgumentException naming the problem and its position when the text is not a selector
     */
    public static SeriesSelector parse(String text) {
        Objects.requireNonNull(text, "selector");
        if (text.length() > MAX_SELECTOR_CHARS) {
            throw new IllegalArgumentException("series selector is longer than " + MAX_SELECTOR_CHARS + " characters");
        }
        return new SelectorReader(text).read();
    }

    public String metricName() {
        return metricName;
    }

    /**
     * This selector narrowed to series whose label {@code name} equals {@code value}, as when the
     * series of one pod are read from a Prometheus that labels them by namespace and pod.
     *
     * @throws IllegalArgumentException when {@code name} is not a label name or is {@code __name__}
     */
    public SeriesSelector withLabel(String name, String value) {
        Objects.requireNonNull(value, "value");
        if (!isLabelName(name)) {
            throw new IllegalArgumentException("invalid label name " + BoundedText.quote(String.valueOf(name)));
        }
        List<LabelMatcher> narrowed = new ArrayList<>(matchers);
        narrowed.add(new LabelMatcher(name, MatchOp.EQUAL, value, null));
        return new SeriesSelector(metricName, narrowed);
    }

    /** A Prometheus label name other than the reserved {@code __name__}. */
    public static boolean isLabelName(String name) {
        if (name == null || name.isEmpty() || name.equals("__name__")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!SelectorReader.isNameChar(name.charAt(i), i == 0, false)) {
                return false;
            }
        }
        return true;
    }

    /** Whether a series of this metric with these labels is selected; {@code count} entries of the arrays are used. */
    boolean matchesLabels(String[] labelNames, String[] labelValues, int count) {
        for (LabelMatcher matcher : matchers) {
            String value = "";
            for (int i = 0; i < count; i++) {
                if (labelNames[i].equals(matcher.name)) {
                    value = labelValues[i];
                    break;
                }
            }
            if (!matcher.matches(value)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        if (matchers.isEmpty()) {
            return metricName;
        }
        StringBuilder out = new StringBuilder(metricName).append('{');
        for (int i = 0; i < matchers.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            LabelMatcher matcher = matchers.get(i);
            out.append(matcher.name).append(matcher.op.symbol).append('"');
            appendEscaped(out, matcher.value);
            out.append('"');
        }
        return out.append('}').toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SeriesSelector that
                && metricName.equals(that.metricName) && matchers.equals(that.matchers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(metricName, matchers);
    }

    private static void appendEscaped(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
    }

    private enum MatchOp {
        EQUAL("="), NOT_EQUAL("!="), REGEX("=~"), NOT_REGEX("!~");

        final String symbol;

        MatchOp(String symbol) {
            this.symbol = symbol;
        }
    }

    private static final class LabelMatcher {
        final String name;
        final MatchOp op;
        final String value;
        private final Pattern pattern;

        LabelMatcher(String name, MatchOp op, String value, Pattern pattern) {
            this.name = name;
            this.op = op;
            this.value = value;
            this.pattern = pattern;
        }

        boolean matches(String labelValue) {
            return switch (op) {
                case EQUAL -> labelValue.equals(value);
                case NOT_EQUAL -> !labelValue.equals(value);
                case REGEX -> pattern.matcher(labelValue).matches();
                case NOT_REGEX -> !pattern.matcher(labelValue).matches();
            };
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof LabelMatcher that
                    && name.equals(that.name) && op == that.op && value.equals(that.value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, op, value);
        }
    }

    /** Recursive-descent reader over the selector text; positions in messages are 0-based offsets. */
    private static final class SelectorReader {
        private final String text;
        private int pos;

        SelectorReader(String text) {
            this.text = text;
        }

        SeriesSelector read() {
            skipSpaces();
            String name = readName(true, "metric name");
            List<LabelMatcher> matchers = new ArrayList<>();
            skipSpaces();
            if (pos < text.length() && text.charAt(pos) == '{') {
                pos++;
                readMatchers(matchers);
                skipSpaces();
            }
            if (pos != text.length()) {
                throw problem("unexpected '" + printable(text.charAt(pos)) + "'");
            }
            return new SeriesSelector(name, matchers);
        }

        private void readMatchers(List<LabelMatcher> matchers) {
            while (true) {
                skipSpaces();
                if (consume('}')) {
                    return;
                }
                String labelName = readName(false, "label name");
                if (labelName.equals("__name__")) {
                    throw problem("write the metric name before '{' instead of matching __name__");
                }
                skipSpaces();
                MatchOp op = readOp();
                skipSpaces();
                String value = readQuoted();
                matchers.add(new LabelMatcher(labelName, op, value, compileIfRegex(op, value)));
                skipSpaces();
                if (consume(',')) {
                    continue;
                }
                if (consume('}')) {
                    return;
                }
                throw problem("expected ',' or '}'");
            }
        }

        private Pattern compileIfRegex(MatchOp op, String value) {
            if (op != MatchOp.REGEX && op != MatchOp.NOT_REGEX) {
                return null;
            }
            try {
                return Pattern.compile(value, Pattern.DOTALL);
            } catch (PatternSyntaxException e) {
                throw problem("invalid regular expression: " + e.getDescription());
            }
        }

        private String readName(boolean allowColon, String what) {
            int start = pos;
            while (pos < text.length() && isNameChar(text.charAt(pos), pos == start, allowColon)) {
                pos++;
            }
            if (pos == start) {
                throw problem("expected " + what);
            }
            return text.substring(start, pos);
        }

        private static boolean isNameChar(char c, boolean first, boolean allowColon) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
                    || (allowColon && c == ':') || (!first && c >= '0' && c <= '9');
        }

        private MatchOp readOp() {
            if (consume('=')) {
                return consume('~') ? MatchOp.REGEX : MatchOp.EQUAL;
            }
            if (consume('!')) {
                if (consume('=')) {
                    return MatchOp.NOT_EQUAL;
                }
                if (consume('~')) {
                    return MatchOp.NOT_REGEX;
                }
            }
            throw problem("expected one of = != =~ !~");
        }

        private String readQuoted() {
            if (pos >= text.length() || (text.charAt(pos) != '"' && text.charAt(pos) != '\'')) {
                throw problem("expected a quoted label value");
            }
            char quote = text.charAt(pos++);
            StringBuilder value = new StringBuilder();
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (c == quote) {
                    return value.toString();
                }
                if (c == '\n') {
                    break;
                }
                if (c != '\\') {
                    value.append(c);
                    continue;
                }
                if (pos >= text.length()) {
                    break;
                }
                char escaped = text.charAt(pos++);
                switch (escaped) {
                    case '\\', '"', '\'' -> value.append(escaped);
                    case 'n' -> value.append('\n');
                    case 't' -> value.append('\t');
                    default -> {
                        pos--;
                        throw problem("invalid escape '\\" + printable(escaped) + "'");
                    }
                }
            }
            throw problem("unterminated label value");
        }

        private boolean consume(char expected) {
            if (pos < text.length() && text.charAt(pos) == expected) {
                pos++;
                return true;
            }
            return false;
        }

        private void skipSpaces() {
            while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
                pos++;
            }
        }

        private IllegalArgumentException problem(String what) {
            return new IllegalArgumentException("invalid series selector " + BoundedText.quote(text)
                    + ": " + what + " at offset " + pos);
        }

        private static String printable(char c) {
            return c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c);
        }
    }
}
