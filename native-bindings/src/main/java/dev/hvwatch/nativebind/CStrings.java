package dev.hvwatch.nativebind;

import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/** NUL-terminated strings in native memory, read with a bound so that a missing NUL never runs off. */
public final class CStrings {
    private CStrings() {
    }

    /** The string at {@code s}, cut at {@code max} bytes when no NUL comes first; invalid UTF-8 is replaced. */
    public static String read(Pointer s, int max) {
        int length = 0;
        while (length < max && s.getByte(length) != 0) {
            length++;
        }
        byte[] bytes = new byte[length];
        s.get(0, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
