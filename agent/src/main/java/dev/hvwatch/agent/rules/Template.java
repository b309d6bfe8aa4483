package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.rules.expr.Compiler;
import dev.hvwatch.agent.rules.expr.ExprException;
import dev.hvwatch.agent.rules.expr.Group;
import dev.hvwatch.agent.rules.expr.NumNode;
import dev.hvwatch.agent.rules.expr.Parser;
import dev.hvwatch.agent.rules.expr.StrNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An alert message with {@code {{ expression }}} placeholders, each optionally formatted with {@code | percent}
 * (0.97 → 97%), {@code | seconds} (1.5 → 1.5 s) or {@code | int}. Rendered only when an alert is raised.
 */
final class Template {
    private final List<Part> parts;

    private Template(List<Part> parts) {
        this.parts = parts;
    }

    private interface Part {
        void render(Group g, long now, StringBuilder out);
    }

    /** @param forText what {@code {{for}}} stands for: the rule's hold duration as written */
    static Template compile(String text, Compiler compiler, String forText) throws ExprException {
        List<Part> parts = new ArrayList<>();
        int pos = 0;
        while (pos < text.length()) {
            int open = text.indexOf("{{", pos);
            if (open < 0) {
                String literal = text.substring(pos);
                parts.add((g, now, out) -> out.append(literal));
                break;
            }
            String literal = text.substring(pos, open);
            parts.add((g, now, out) -> out.append(literal));
            int close = text.indexOf("}}", open);
            if (close < 0) {
                throw new ExprException(open + 1, "'{{' without '}}'");
            }
            parts.add(placeholder(text.substring(open + 2, close), open + 3, compiler, forText));
            pos = close + 2;
        }
        return new Template(parts);
    }

    private static Part placeholder(String inner, int column, Compiler compiler, String forText) throws ExprException {
        String[] pieces = inner.split("\\|", 2);
        String expression = pieces[0].strip();
        String format = pieces.length > 1 ? pieces[1].strip() : "";
        if (expression.equals("for")) {
            return (g, now, out) -> out.append(forText);
        }
        try {
            StrNode s = compiler.string(Parser.parse(expression));
            return (g, now, out) -> out.append(s.eval(g) == null ? "?" : s.eval(g));
        } catch (ExprException notAString) {
            NumNode n;
            try {
                n = compiler.number(Parser.parse(expression));
            } catch (ExprException e) {
                throw new ExprException(column + e.column() - 1, e.getMessage());
            }
            if (!List.of("", "percent", "seconds", "int").contains(format)) {
                throw new ExprException(column, "unknown format '" + format + "' (known: percent, seconds, int)");
            }
            return (g, now, out) -> out.append(format(n.eval(g, now), format));
        }
    }

    static String format(double v, String format) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return switch (format) {
            case "percent" -> String.format(Locale.ROOT, "%.0f%%", v * 100);
            case "seconds" -> String.format(Locale.ROOT, "%.1f s", v);
            case "int" -> Long.toString(Math.round(v));
            default -> v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
                    : String.format(Locale.ROOT, "%.3g", v);
        };
    }

    String render(Group g, long now) {
        StringBuilder out = new StringBuilder();
        for (Part p : parts) {
            p.render(g, now, out);
        }
        return out.toString();
    }
}
