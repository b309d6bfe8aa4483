package dev.hvwatch.agent.source.census;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A process's command name as alerts may show it. Any process can name itself anything ({@code prctl(PR_SET_NAME)}
 * takes 15 arbitrary bytes), so the name is hostile input: bytes that are not UTF-8 and control characters become
 * '?', and it is cut at {@link #MAX_CHARS}. Each output escapes what remains its own way.
 */
public final class ProcessName {
    /** The kernel keeps 15 bytes (TASK_COMM_LEN - 1); more can only come from a malformed file. */
    static final int MAX_CHARS = 15;

    private ProcessName() {
    }

    public static String clean(byte[] raw, int offset, int length) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).replaceWith("?")
                    .decode(ByteBuffer.wrap(raw, offset, length)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("a replacing decoder does not throw", e);
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS));
        text.codePoints().limit(MAX_CHARS).forEach(c -> out.appendCodePoint(Character.isISOControl(c)
                || Character.getType(c) == Character.FORMAT ? '?' : c));
        return out.toString();
    }

    public static String clean(String name) {
        byte[] raw = name.getBytes(StandardCharsets.UTF_8);
        return clean(raw, 0, raw.length);
    }
}
