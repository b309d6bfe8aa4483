package dev.hvwatch.agent.source.tracepoint;

/**
 * Evaluates the integer constant expressions a tracepoint's {@code print fmt} keeps where the kernel's macros were
 * expanded, such as {@code 0x040 + 13}, {@code -1} or {@code (1 << 0) | (1 << 2)}: C literals (decimal, hex, octal,
 * with u/l suffixes) and the C operators on them, with C's precedence, in 64-bit arithmetic.
 */
final class ConstExpr {
    private final String text;
    private int pos;

    private ConstExpr(String text) {
        this.text = text;
    }

    /** @throws IllegalArgumentException naming the column where {@code text} stops being a constant expression */
    static long evaluate(String text) {
        ConstExpr e = new ConstExpr(text);
        long value = e.binary(0);
        e.skipSpaces();
        if (e.pos != text.length()) {
            throw e.error("unexpected '" + text.charAt(e.pos) + "'");
        }
        return value;
    }

    /** Binary operators by C precedence, loosest first. */
    private static final String[][] LEVELS = {{"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}};

    private long binary(int level) {
        if (level == LEVELS.length) {
            return unary();
        }
        long left = binary(level + 1);
        while (true) {
            String op = operator(LEVELS[level]);
            if (op == null) {
                return left;
            }
            long right = binary(level + 1);
            left = switch (op) {
                case "|" -> left | right;
                case "^" -> left ^ right;
                case "&" -> left & right;
                case "<<" -> left << right;
                case ">>" -> left >> right;
                case "+" -> left + right;
                case "-" -> left - right;
                case "*" -> left * right;
                default -> {
                    if (right == 0) {
                        throw error("division by zero");
                    }
                    yield op.equals("/") ? left / right : left % right;
                }
            };
        }
    }

    /** The operator at the cursor among {@code ops}, consumed; null if none (and "&&", "||" are not "&", "|"). */
    private String operator(String[] ops) {
        skipSpaces();
        for (String op : ops) {
            if (text.startsWith(op, pos)) {
                int after = pos + op.length();
                boolean doubled = (op.equals("&") || op.equals("|")) && after < text.length()
                        && text.charAt(after) == op.charAt(0);
                if (!doubled) {
                    pos = after;
                    return op;
                }
            }
        }
        return null;
    }

    private long unary() {
        skipSpaces();
        if (pos == text.length()) {
            throw error("expression ends early");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '-' -> {
                pos++;
                return -unary();
            }
            case '+' -> {
                pos++;
                return unary();
            }
            case '~' -> {
                pos++;
                return ~unary();
            }
            case '!' -> {
                pos++;
                return unary() == 0 ? 1 : 0;
            }
            case '(' -> {
                pos++;
                long inner = binary(0);
                skipSpaces();
                if (pos == text.length() || text.charAt(pos) != ')') {
                    throw error("missing ')'");
                }
                pos++;
                return inner;
            }
            default -> {
                return literal();
            }
        }
    }

    private long literal() {
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        String token = text.substring(start, pos);
        String digits = token.replaceFirst("[uUlL]+$", "");
        try {
            if (digits.startsWith("0x") || digits.startsWith("0X")) {
                return Long.parseUnsignedLong(digits.substring(2), 16);
            }
            if (digits.length() > 1 && digits.startsWith("0")) {
                return Long.parseUnsignedLong(digits.substring(1), 8);
            }
            return Long.parseUnsignedLong(digits);
        } catch (NumberFormatException e) {
            pos = start;
            throw error(token.isEmpty() ? "expected a number" : "'" + token + "' is not a number");
        }
    }

    private void skipSpaces() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at column " + (pos + 1) + " of '" + text + "'");
    }
}
