package dev.hvwatch.agent.rules.expr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recursive-descent parser for rule expressions. The grammar, loosest binding first:
 * <pre>
 * expr    := and ('or' and)*
 * and     := not ('and' not)*
 * not     := 'not' not | compare
 * compare := sum (('&lt;' | '&lt;=' | '&gt;' | '&gt;=' | '==' | '!=') sum)?
 * sum     := product (('+' | '-') product)*
 * product := unary (('*' | '/') unary)*
 * unary   := '-' unary | primary
 * primary := NUMBER | DURATION | STRING | 'true' | 'false' | '(' expr ')'
 *          | NAME '(' [expr (',' expr)*] ')' | NAME ['{' NAME '=' STRING (',' NAME '=' STRING)* '}']
 * </pre>
 * Durations ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}) are numbers of seconds. Hand-written: the
 * language is small, and the errors must point at a column an analyst can find.
 */
public final class Parser {
    private static final Set<String> COMPARISONS = Set.of("<", "<=", ">", ">=", "==", "!=");

    private final String text;
    private int pos;

    private Parser(String text) {
        this.text = text;
    }

    public static Ast parse(String text) throws ExprException {
        Parser p = new Parser(text);
        Ast ast = p.or();
        p.skipSpace();
        if (p.pos < text.length()) {
            throw p.error("unexpected '" + text.charAt(p.pos) + "'");
        }
        return ast;
    }

    private Ast or() throws ExprException {
        Ast left = and();
        while (keyword("or")) {
            int at = pos;
            left = new Ast.Binary(at, "or", left, and());
        }
        return left;
    }

    private Ast and() throws ExprException {
        Ast left = not();
        while (keyword("and")) {
            int at = pos;
            left = new Ast.Binary(at, "and", left, not());
        }
        return left;
    }

    private Ast not() throws ExprException {
        skipSpace();
        int at = pos + 1;
        if (keyword("not")) {
            return new Ast.Unary(at, "not", not());
        }
        return compare();
    }

    private Ast compare() throws ExprException {
        Ast left = sum();
        skipSpace();
        for (String op : new String[] {"<=", ">=", "==", "!=", "<", ">"}) {
            if (text.startsWith(op, pos)) {
                int at = pos + 1;
                pos += op.length();
                Ast right = sum();
                skipSpace();
                if (COMPARISONS.stream().anyMatch(c -> text.startsWith(c, pos))) {
                    throw error("comparisons do not chain: use 'and'");
                }
                return new Ast.Binary(at, op, left, right);
            }
        }
        return left;
    }

    private Ast sum() throws ExprException {
        Ast left = product();
        while (true) {
            skipSpace();
            if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                int at = pos + 1;
                String op = String.valueOf(text.charAt(pos++));
                left = new Ast.Binary(at, op, left, product());
            } else {
                return left;
            }
        }
    }

    private Ast product() throws ExprException {
        Ast left = unary();
        while (true) {
            skipSpace();
            if (pos < text.length() && (text.charAt(pos) == '*' || text.charAt(pos) == '/')) {
                int at = pos + 1;
                String op = String.valueOf(text.charAt(pos++));
                left = new Ast.Binary(at, op, left, unary());
            } else {
                return left;
            }
        }
    }

    private Ast unary() throws ExprException {
        skipSpace();
        if (pos < text.length() && text.charAt(pos) == '-') {
            int at = ++pos;
            return new Ast.Unary(at, "-", unary());
        }
        return primary();
    }

    private Ast primary() throws ExprException {
        skipSpace();
        if (pos >= text.length()) {
            throw error("expression ends too early");
        }
        int at = pos + 1;
        char c = text.charAt(pos);
        if (c == '(') {
            pos++;
            Ast inner = or();
            expect(')');
            return inner;
        }
        if (c == '"') {
            return new Ast.Str(at, string());
        }
        if (Character.isDigit(c) || c == '.') {
            return number();
        }
        if (Character.isLetter(c) || c == '_') {
            String name = name();
            if (name.equals("true") || name.equals("false")) {
                return new Ast.Bool(at, name.equals("true"));
            }
            skipSpace();
            if (pos < text.length() && text.charAt(pos) == '(') {
                pos++;
                List<Ast> args = new ArrayList<>();
                skipSpace();
                if (pos < text.length() && text.charAt(pos) == ')') {
                    pos++;
                } else {
                    args.add(or());
                    while (accept(',')) {
                        args.add(or());
                    }
                    expect(')');
                }
                return new Ast.Call(at, name, args);
            }
            return new Ast.Ref(at, name, labels());
        }
        throw error("unexpected '" + c + "'");
    }

    private Map<String, String> labels() throws ExprException {
        Map<String, String> labels = new LinkedHashMap<>();
        if (!accept('{')) {
            return labels;
        }
        do {
            skipSpace();
            String label = name();
            expect('=');
            skipSpace();
            if (pos >= text.length() || text.charAt(pos) != '"') {
                throw error("a label value is a quoted string");
            }
            labels.put(label, string());
        } while (accept(','));
        expect('}');
        return labels;
    }

    private Ast number() throws ExprException {
        int at = pos + 1;
        int start = pos;
        while (pos < text.length() && (Character.isDigit(text.charAt(pos)) || text.charAt(pos) == '.'
                || ((text.charAt(pos) == 'e' || text.charAt(pos) == 'E') && pos + 1 < text.length()
                && (Character.isDigit(text.charAt(pos + 1)) || text.charAt(pos + 1) == '-')))) {
            pos += (text.charAt(pos) == 'e' || text.charAt(pos) == 'E') ? 2 : 1;
        }
        double value;
        try {
            value = Double.parseDouble(text.substring(start, pos));
        } catch (NumberFormatException e) {
            throw new ExprException(at, "'" + text.substring(start, pos) + "' is not a number");
        }
        double unit = 1;
        if (text.startsWith("ms", pos)) {
            unit = 0.001;
            pos += 2;
        } else if (pos < text.length() && "smh".indexOf(text.charAt(pos)) >= 0
                && (pos + 1 == text.length() || !Character.isLetterOrDigit(text.charAt(pos + 1)))) {
            unit = switch (text.charAt(pos)) {
                case 's' -> 1;
                case 'm' -> 60;
                default -> 3600;
            };
            pos++;
        }
        if (pos < text.length() && (Character.isLetter(text.charAt(pos)) || text.charAt(pos) == '_')) {
            throw new ExprException(at, "'" + text.substring(start, pos + 1) + "…' is not a number or a duration "
                    + "(durations: 500ms, 30s, 5m, 1h)");
        }
        return new Ast.Num(at, value * unit);
    }

    private String string() throws ExprException {
        int at = pos + 1;
        StringBuilder s = new StringBuilder();
        pos++; // opening quote
        while (pos < text.length() && text.charAt(pos) != '"') {
            char c = text.charAt(pos++);
            if (c == '\\' && pos < text.length()) {
                c = text.charAt(pos++);
            }
            s.append(c);
        }
        if (pos >= text.length()) {
            throw new ExprException(at, "string not closed with '\"'");
        }
        pos++;
        return s.toString();
    }

    private String name() throws ExprException {
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_'
                || text.charAt(pos) == '.')) {
            pos++;
        }
        if (start == pos) {
            throw error("a name was expected");
        }
        return text.substring(start, pos);
    }

    private boolean keyword(String word) {
        skipSpace();
        if (text.startsWith(word, pos) && (pos + word.length() == text.length()
                || !Character.isLetterOrDigit(text.charAt(pos + word.length())))) {
            pos += word.length();
            return true;
        }
        return false;
    }

    private boolean accept(char c) {
        skipSpace();
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) throws ExprException {
        if (!accept(c)) {
            throw error(pos < text.length() ? "expected '" + c + "' but found '" + text.charAt(pos) + "'"
                    : "expected '" + c + "' but the expression ends");
        }
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private ExprException error(String message) {
        return new ExprException(pos + 1, message);
    }
}
