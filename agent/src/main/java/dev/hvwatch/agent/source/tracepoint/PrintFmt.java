package dev.hvwatch.agent.source.tracepoint;

import java.util.ArrayList;
import java.util.List;

/**
 * The C expressions of a {@code print fmt} line, split the way a C compiler would see them: at commas, colons and
 * question marks outside parentheses, braces and string literals. Just enough C to find a symbol table, nothing
 * that evaluates the format.
 */
final class PrintFmt {
    private PrintFmt() {
    }

    /**
     * The arguments after the format string.
     *
     * @throws TracepointFormatException if the line does not start with a string literal or its brackets or
     *                                   strings do not close, which is how a truncated file shows
     */
    static List<String> arguments(String printFmt, String origin) throws TracepointFormatException {
        List<String> parts = splitTopLevel(printFmt, ',', origin);
        if (parts.isEmpty() || !parts.get(0).startsWith("\"")) {
            throw new TracepointFormatException(origin + ": print fmt does not start with a format string");
        }
        return parts.subList(1, parts.size());
    }

    /** {@code text} cut at every {@code separator} at nesting depth 0, each part stripped. */
    static List<String> splitTopLevel(String text, char separator, String origin) throws TracepointFormatException {
        List<String> parts = new ArrayList<>();
        int start = 0;
        int at;
        while ((at = indexOfTopLevel(text, separator, start, origin)) >= 0) {
            parts.add(text.substring(start, at).strip());
            start = at + 1;
        }
        parts.add(text.substring(start).strip());
        return parts;
    }

    /**
     * The first {@code c} at or after {@code from} outside brackets and strings, or -1. Scans to the end either way,
     * so that an unclosed bracket or string is reported even when {@code c} was found before it.
     */
    static int indexOfTopLevel(String text, char c, int from, String origin) throws TracepointFormatException {
        int depth = 0;
        int found = -1;
        int openedAt = -1;
        for (int i = from; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '"') {
                i = endOfString(text, i, origin);
            } else if (ch == '(' || ch == '{' || ch == '[') {
                if (depth++ == 0) {
                    openedAt = i;
                }
            } else if (ch == ')' || ch == '}' || ch == ']') {
                if (--depth < 0) {
                    throw new TracepointFormatException(origin + ": unbalanced '" + ch + "' at column " + (i + 1)
                            + " of print fmt");
                }
            } else if (ch == c && depth == 0 && found < 0) {
                found = i;
            }
        }
        if (depth > 0) {
            throw new TracepointFormatException(origin + ": print fmt ends inside the '" + text.charAt(openedAt)
                    + "' at column " + (openedAt + 1) + "; the file looks truncated");
        }
        return found;
    }

    /**
     * The value of adjacent C string literals, {@code "KVM_EXIT_" "IO"} being {@code KVM_EXIT_IO}; null when
     * {@code text} is not only string literals.
     */
    static String stringLiterals(String text, String origin) throws TracepointFormatException {
        StringBuilder value = new StringBuilder();
        int i = 0;
        boolean any = false;
        while (i < text.length()) {
            char ch = text.charAt(i);
            if (Character.isWhitespace(ch)) {
                i++;
                continue;
            }
            if (ch != '"') {
                return null;
            }
            int end = endOfString(text, i, origin);
            for (int j = i + 1; j < end; j++) {
                char s = text.charAt(j);
                if (s == '\\') {
                    j++;
                    s = text.charAt(j);
                }
                value.append(s);
            }
            any = true;
            i = end + 1;
        }
        return any ? value.toString() : null;
    }

    /** The index of the quote closing the string literal that opens at {@code start}. */
    private static int endOfString(String text, int start, String origin) throws TracepointFormatException {
        for (int i = start + 1; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                return i;
            }
        }
        throw new TracepointFormatException(origin + ": print fmt ends inside the string that opens at column "
                + (start + 1) + "; the file looks truncated");
    }
}
