package dev.hvwatch.protocol.logging;

/**
 * Writes text that may come from a guest or a QEMU process (a VM name, a device id, a monitor's error) so that it
 * cannot break a line apart or drive a terminal: C0 controls, DEL, C1 controls and the Unicode line and paragraph
 * separators become escapes ({@code \n}, {@code \r}, {@code \t}, {@code \e}, {@code \xHH}, {@code \u2028}), and a
 * backslash is doubled, so that an escape in the output can always be told from the same characters in the input.
 */
public final class ControlCharacters {
    private ControlCharacters() {
    }

    public static String escape(String text) {
        if (text == null) {
            return null;
        }
        int i = 0;
        while (i < text.length() && !needsEscape(text.charAt(i))) {
            i++;
        }
        if (i == text.length()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, i);
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!needsEscape(c)) {
                out.append(c);
                continue;
            }
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 0x1b -> out.append("\\e");
                case '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
                default -> out.append(String.format("\\x%02x", (int) c));
            }
        }
        return out.toString();
    }

    private static boolean needsEscape(char c) {
        return c < 0x20 || c == '\\' || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }
}
