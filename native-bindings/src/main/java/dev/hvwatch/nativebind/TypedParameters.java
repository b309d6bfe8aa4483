package dev.hvwatch.nativebind;

import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/**
 * A reusable view over an array of libvirt typed parameters ({@code struct _virTypedParameter} in
 * {@code libvirt-common.h}: {@code char field[80]; int type; union value;}), read in place so that a caller going
 * through thousands of statistics a round allocates nothing: names are compared as bytes ({@link #fieldInto}) and
 * values read as numbers. Everything here is bounded: a field without its NUL, an unknown type or a NULL string is
 * reported, never read past.
 */
public final class TypedParameters {
    /** {@code VIR_TYPED_PARAM_FIELD_LENGTH}, the terminating NUL included. */
    public static final int FIELD_LENGTH = 80;
    /** The union follows the int type, aligned to 8 bytes; the struct is 96 bytes on every 64-bit ABI. */
    static final int TYPE_OFFSET = FIELD_LENGTH;
    static final int VALUE_OFFSET = 88;
    public static final int SIZE = 96;

    /** {@code virTypedParameterType}. */
    public static final int INT = 1;
    public static final int UINT = 2;
    public static final int LLONG = 3;
    public static final int ULLONG = 4;
    public static final int DOUBLE = 5;
    public static final int BOOLEAN = 6;
    public static final int STRING = 7;

    /** Strings longer than this are cut: libvirt's are paths, names and aliases, never this long. */
    public static final int MAX_STRING = 4096;

    private Pointer base;
    private int count;

    /** Points this view at {@code count} parameters starting at {@code params}. */
    public TypedParameters reset(Pointer params, int count) {
        if (count < 0 || (count > 0 && params == null)) {
            throw new IllegalArgumentException("typed parameters: " + count + " at " + params);
        }
        this.base = params;
        this.count = count;
        return this;
    }

    public int count() {
        return count;
    }

    /**
     * Copies parameter {@code i}'s name into {@code dst} (at least {@link #FIELD_LENGTH} bytes).
     *
     * @return the name's length, or -1 if the field holds no NUL (a corrupt parameter)
     */
    public int fieldInto(int i, byte[] dst) {
        long at = offset(i);
        base.get(at, dst, 0, FIELD_LENGTH);
        for (int n = 0; n < FIELD_LENGTH; n++) {
            if (dst[n] == 0) {
                return n;
            }
        }
        return -1;
    }

    /** Parameter {@code i}'s name as a string; null if it has no NUL. Allocates: for names seen the first time. */
    public String field(int i) {
        byte[] buffer = new byte[FIELD_LENGTH];
        int length = fieldInto(i, buffer);
        return length < 0 ? null : new String(buffer, 0, length, StandardCharsets.UTF_8);
    }

    /** One of {@link #INT} … {@link #STRING}, or another number for a type this binding does not know. */
    public int type(int i) {
        return base.getInt(offset(i) + TYPE_OFFSET);
    }

    /** Whether parameter {@code i} holds a number (booleans count as 0 or 1). */
    public boolean isNumber(int i) {
        int type = type(i);
        return type >= INT && type <= BOOLEAN;
    }

    /**
     * Parameter {@code i}'s value as a double. Unsigned 64-bit counters above 2^63 keep their magnitude.
     *
     * @throws IllegalStateException if the parameter is a string or of an unknown type
     */
    public double number(int i) {
        long at = offset(i) + VALUE_OFFSET;
        return switch (type(i)) {
            case INT -> base.getInt(at);
            case UINT -> Integer.toUnsignedLong(base.getInt(at));
            case LLONG -> base.getLongLong(at);
            case ULLONG -> unsigned(base.getLongLong(at));
            case DOUBLE -> base.getDouble(at);
            case BOOLEAN -> base.getByte(at) != 0 ? 1 : 0;
            default -> throw new IllegalStateException("typed parameter " + i + " is of type " + type(i)
                    + ", not a number");
        };
    }

    /**
     * Parameter {@code i}'s string, at most {@link #MAX_STRING} bytes; null if it is not a string or its pointer is
     * NULL.
     */
    public String string(int i) {
        if (type(i) != STRING) {
            return null;
        }
        Pointer s = base.getPointer(offset(i) + VALUE_OFFSET);
        return s == null ? null : CStrings.read(s, MAX_STRING);
    }

    /**
     * Copies parameter {@code i}'s string into {@code dst} without allocating, so that a caller can see whether it
     * changed since the last round.
     *
     * @return its length in bytes (cut at {@code dst.length}), or -1 if it is not a string or its pointer is NULL
     */
    public int stringInto(int i, byte[] dst) {
        if (type(i) != STRING) {
            return -1;
        }
        Pointer s = base.getPointer(offset(i) + VALUE_OFFSET);
        if (s == null) {
            return -1;
        }
        int length = 0;
        while (length < dst.length) {
            byte b = s.getByte(length);
            if (b == 0) {
                break;
            }
            dst[length++] = b;
        }
        return length;
    }

    private long offset(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("typed parameter " + i + " of " + count);
        }
        return (long) i * SIZE;
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }
}
