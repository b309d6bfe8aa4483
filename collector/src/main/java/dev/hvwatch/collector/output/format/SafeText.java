package dev.hvwatch.collector.output.format;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvwatch.protocol.AlertJson;
import java.io.IOException;

/**
 * The characters in alert values that could forge a record or deceive whoever reads it, and what each format makes
 * of them. Anything a guest or its owner can name (VM names, tenant names, device ids, process names) reaches every
 * format, so every format passes its values through here.
 *
 * <p>Hazards are the control characters (C0, DEL, C1, which includes NEL), the line and paragraph separators, and
 * the Unicode bidirectional controls that reorder what a reader sees (the "Trojan Source" characters). JSON escapes
 * them as {@code \}{@code uXXXX}; the text formats (CEF, syslog) write that same notation as plain text, except for
 * the line breaks and tab of a sentence, which become spaces, and what a format has its own escape for.
 */
final class SafeText {
    /** Marks where a value was cut to fit a format's limit. */
    static final String CUT = "…";
    private static final ObjectMapper JSON = AlertJson.mapper();

    private SafeText() {
    }

    /** Whether {@code c} must not reach a record as it is. */
    static boolean isHazard(int c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f)
                || c == 0x061c // Arabic letter mark
                || c == 0x200e || c == 0x200f // left-to-right and right-to-left marks
                || (c >= 0x2028 && c <= 0x202e) // line and paragraph separators, embeddings and overrides
                || (c >= 0x2066 && c <= 0x2069); // isolates
    }

    /** The visible notation of a hazard, as JSON would escape it. */
    static String escape(int c) {
        return String.format("\\u%04X", c);
    }

    /** {@code value} with tab and line breaks as spaces and every other hazard as its visible notation. */
    static String neutral(String value) {
        return replace(value, true);
    }

    /**
     * {@code value} with every hazard but tab and line breaks as its visible notation: for formats that have escapes
     * of their own for those. Limits apply to this form, which is what a reader of the record gets back.
     */
    static String visible(String value) {
        return replace(value, false);
    }

    private static String replace(String value, boolean breaksToSpaces) {
        if (value == null || value.chars().noneMatch(SafeText::isHazard)) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\t' || c == '\n' || c == '\r') {
                out.append(breaksToSpaces ? ' ' : c);
            } else if (isHazard(c)) {
                out.append(escape(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * {@code value} cut to at most {@code max} characters, the last of which is then {@link #CUT}; never between the
     * two halves of a surrogate pair. The same value is always cut the same way.
     */
    static String cut(String value, int max) {
        if (value == null || value.length() <= max) {
            return value;
        }
        int end = max - CUT.length();
        if (Character.isLowSurrogate(value.charAt(end)) && Character.isHighSurrogate(value.charAt(end - 1))) {
            end--;
        }
        return value.substring(0, end) + CUT;
    }

    /**
     * JSON in UTF-8 with every hazard escaped as {@code \}{@code uXXXX}. The writer of canonical JSON escapes C0 in
     * strings as JSON requires, but leaves DEL, C1, the separators and the bidirectional controls raw, and JSON allows
     * tab and CR between tokens; a document holding any of them is written again with {@link #jsonEscapes()}, in the
     * same order with the same values. Others, nearly all, are returned as they are.
     */
    static byte[] escapeJson(byte[] json) {
        if (!hasRawHazard(json)) {
            return json;
        }
        try {
            return JSON.writer().with(JSON_ESCAPES).writeValueAsBytes(JSON.readTree(json));
        } catch (IOException e) {
            throw new IllegalStateException("journaled JSON does not parse: " + e.getMessage(), e);
        }
    }

    /** Jackson's escapes for the hazards it would otherwise write raw, for formats written with Jackson. */
    static CharacterEscapes jsonEscapes() {
        return JSON_ESCAPES;
    }

    private static final CharacterEscapes JSON_ESCAPES = new CharacterEscapes() {
        private final int[] ascii = escapesWithDel();

        private static int[] escapesWithDel() {
            int[] escapes = CharacterEscapes.standardAsciiEscapesForJSON();
            escapes[0x7f] = CharacterEscapes.ESCAPE_STANDARD;
            return escapes;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int c) {
            // Asked for characters beyond ASCII only; null writes them as they are.
            return isHazard(c) ? new SerializedString(escape(c)) : null;
        }
    };

    private static boolean hasRawHazard(byte[] utf8) {
        for (int i = 0; i < utf8.length; ) {
            int length = sequenceLength(utf8[i]);
            if (i + length <= utf8.length && length <= 3 && isHazard(decode(utf8, i, length))) {
                return true;
            }
            i += length;
        }
        return false;
    }

    private static int sequenceLength(byte lead) {
        int b = lead & 0xff;
        return b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    }

    private static int decode(byte[] utf8, int at, int length) {
        return switch (length) {
            case 1 -> utf8[at] & 0xff;
            case 2 -> (utf8[at] & 0x1f) << 6 | (utf8[at + 1] & 0x3f);
            default -> (utf8[at] & 0x0f) << 12 | (utf8[at + 1] & 0x3f) << 6 | (utf8[at + 2] & 0x3f);
        };
    }
}
