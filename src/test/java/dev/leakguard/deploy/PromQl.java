package dev.leakguard.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the series selectors in a PromQL expression (as written in alert rules and Grafana
 * panels, {@code $variables} included) — enough to check which metrics and labels a query uses,
 * not a full PromQL parser.
 */
final class PromQl {

    record Matcher(String label, String operator, String value) {
    }

    record Selector(String metric, List<Matcher> matchers) {

        Optional<Matcher> matcher(String label) {
            return matchers.stream().filter(m -> m.label().equals(label)).findFirst();
        }
    }

    /** Keywords followed by a parenthesised list of label names, not of expressions. */
    private static final Set<String> LABEL_LIST_KEYWORDS =
            Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    /** Words that are never series names; aggregations may put `by (...)` before their parentheses. */
    private static final Set<String> OTHER_KEYWORDS = Set.of(
            "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
            "bottomk", "topk", "quantile", "limitk", "limit_ratio");

    private final String expr;
    private int pos;

    private PromQl(String expr) {
        this.expr = expr;
    }

    static List<Selector> selectors(String expr) {
        return new PromQl(expr).scan();
    }

    private List<Selector> scan() {
        List<Selector> found = new ArrayList<>();
        while (pos < expr.length()) {
            char c = expr.charAt(pos);
            if (c == '"' || c == '\'' || c == '`') {
                readString();
            } else if (c == '$') {
                skipVariable();
            } else if (c == '[') {
                pos = expr.indexOf(']', pos) + 1;
            } else if (c == '{') {
                List<Matcher> matchers = readMatchers();
                String name = matchers.stream()
                        .filter(m -> m.label().equals("__name__") && m.operator().equals("="))
                        .map(Matcher::value).findFirst().orElse(null);
                found.add(new Selector(name, matchers));
            } else if (Character.isDigit(c) || (c == '.' && pos + 1 < expr.length() && Character.isDigit(expr.charAt(pos + 1)))) {
                skipNumber();
            } else if (isIdentifierStart(c)) {
                String word = readIdentifier();
                char next = peekNonSpace();
                if (LABEL_LIST_KEYWORDS.contains(word)) {
                    if (next == '(') {
                        pos = expr.indexOf(')', pos) + 1;
                    }
                } else if (!OTHER_KEYWORDS.contains(word) && next != '(') {
                    found.add(new Selector(word, next == '{' ? readMatchers() : List.of()));
                }
            } else {
                pos++;
            }
        }
        return found;
    }

    /** At '{': reads {@code label op "value"} pairs up to the closing '}'. */
    private List<Matcher> readMatchers() {
        List<Matcher> matchers = new ArrayList<>();
        pos++;
        while (peekNonSpace() != '}') {
            String label = readIdentifier();
            peekNonSpace();
            int opStart = pos;
            while ("=!~".indexOf(expr.charAt(pos)) >= 0) {
                pos++;
            }
            String operator = expr.substring(opStart, pos);
            peekNonSpace();
            matchers.add(new Matcher(label, operator, readString()));
            if (peekNonSpace() == ',') {
                pos++;
            }
        }
        pos++;
        return matchers;
    }

    /** At a quote: returns the string's content without quotes, escapes resolved. */
    private String readString() {
        char quote = expr.charAt(pos++);
        StringBuilder content = new StringBuilder();
        while (expr.charAt(pos) != quote) {
            if (expr.charAt(pos) == '\\' && quote != '`') {
                pos++;
            }
            content.append(expr.charAt(pos++));
        }
        pos++;
        return content.toString();
    }

    private void skipVariable() {
        pos++;
        if (pos < expr.length() && expr.charAt(pos) == '{') {
            pos = expr.indexOf('}', pos) + 1;
        } else {
            readIdentifier();
        }
    }

    private void skipNumber() {
        while (pos < expr.length() && (Character.isLetterOrDigit(expr.charAt(pos)) || expr.charAt(pos) == '.')) {
            pos++;
        }
    }

    private String readIdentifier() {
        int start = pos;
        while (pos < expr.length() && (isIdentifierStart(expr.charAt(pos)) || Character.isDigit(expr.charAt(pos)))) {
            pos++;
        }
        return expr.substring(start, pos);
    }

    /** Moves past whitespace and returns the next character (or 0 at the end). */
    private char peekNonSpace() {
        while (pos < expr.length() && Character.isWhitespace(expr.charAt(pos))) {
            pos++;
        }
        return pos < expr.length() ? expr.charAt(pos) : 0;
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_' || c == ':';
    }
}
