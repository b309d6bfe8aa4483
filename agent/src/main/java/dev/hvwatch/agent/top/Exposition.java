package dev.hvwatch.agent.top;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Prometheus text exposition format (version 0.0.4) that the agent's /metrics serves. Prometheus'
 * client_java only writes this format and ships no reader, and the other readers are Go, Rust or JavaScript; the
 * grammar is small (one sample per line, comments, quoted label values with three escapes), so it is read here,
 * strictly: a line that does not fit is an error naming it, never skipped.
 */
public final class Exposition {
    private final String text;
    private final int lineNo;
    private int pos;

    private Exposition(String text, int lineNo) {
        this.text = text;
        this.lineNo = lineNo;
    }

    /** Every sample of a scrape, in order. */
    public static List<Sample> parse(String body) {
        List<Sample> samples = new ArrayList<>();
        String[] lines = body.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                samples.add(new Exposition(line, i + 1).sample());
            }
        }
        return samples;
    }

    private Sample sample() {
        String name = name();
        Map<String, String> labels = new LinkedHashMap<>();
        if (peek() == '{') {
            pos++;
            while (peek() != '}') {
                String label = name();
                expect('=');
                labels.put(label, quoted());
                if (peek() == ',') {
                    pos++;
                } else if (peek() != '}') {
                    throw error("',' or '}' expected after the value of label " + label);
                }
            }
            pos++;
        }
        if (peek() != ' ' && peek() != '\t') {
            throw error("a space and a value expected after " + name);
        }
        String[] rest = text.substring(pos).strip().split("[ \t]+");
        if (rest.length > 2) {
            throw error("more than a value and a timestamp after " + name);
        }
        return new Sample(name, labels, value(rest[0]));
    }

    private String name() {
        int start = pos;
        while (pos < text.length() && isNameChar(text.charAt(pos), pos == start)) {
            pos++;
        }
        if (pos == start) {
            throw error("a metric or label name expected");
        }
        return text.substring(start, pos);
    }

    private static boolean isNameChar(char c, boolean first) {
        return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (!first && c >= '0' && c <= '9');
    }

    private String quoted() {
        expect('"');
        StringBuilder value = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("label value not closed by '\"'");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return value.toString();
            }
            if (c == '\\') {
                if (pos >= text.length()) {
                    throw error("'\\' at the end of the line");
                }
                char escaped = text.charAt(pos++);
                value.append(switch (escaped) {
                    case 'n' -> '\n';
                    case '\\', '"' -> escaped;
                    default -> throw error("unknown escape \\" + escaped + " in a label value");
                });
            } else {
                value.append(c);
            }
        }
    }

    private double value(String token) {
        return switch (token) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(token);
                } catch (NumberFormatException e) {
                    throw error("'" + token + "' is not a number");
                }
            }
        };
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("'" + c + "' expected");
        }
        pos++;
    }

    private ExpositionException error(String what) {
        return new ExpositionException("line " + lineNo + ", column " + (pos + 1) + ": " + what + ": " + text);
    }

    /** One sample: a metric name, its labels and its value (a timestamp, if any, is not kept). */
    public record Sample(String name, Map<String, String> labels, double value) {
        public String label(String label) {
            return labels.getOrDefault(label, "");
        }
    }

    /** A scrape that is not in the text format. */
    public static final class ExpositionException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ExpositionException(String message) {
            super(message);
        }
    }
}
