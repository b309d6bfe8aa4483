package dev.hvwatch.nativebind;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Typed parameters laid out in native memory exactly as libvirt lays out {@code struct _virTypedParameter}, for tests
 * of whatever reads them (shared through this module's test jar).
 */
public final class TypedParametersFixture {
    private static final jnr.ffi.Runtime RUNTIME = LibC.runtime();

    private interface Value {
        void write(Pointer value);
    }

    private record Param(String field, int type, Value value) {
    }

    private final List<Param> params = new ArrayList<>();
    /** Strings stay referenced as long as the fixture, like libvirt's stay until the list is freed. */
    private final List<Pointer> strings = new ArrayList<>();

    public TypedParametersFixture number(String field, long value) {
        params.add(new Param(field, TypedParameters.ULLONG, v -> v.putLongLong(0, value)));
        return this;
    }

    public TypedParametersFixture integer(String field, int value) {
        params.add(new Param(field, TypedParameters.INT, v -> v.putInt(0, value)));
        return this;
    }

    public TypedParametersFixture bool(String field, boolean value) {
        params.add(new Param(field, TypedParameters.BOOLEAN, v -> v.putByte(0, (byte) (value ? 1 : 0))));
        return this;
    }

    public TypedParametersFixture string(String field, String value) {
        Pointer text = null;
        if (value != null) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            text = Memory.allocateDirect(RUNTIME, bytes.length + 1, true);
            text.put(0, bytes, 0, bytes.length);
            strings.add(text);
        }
        Pointer s = text;
        params.add(new Param(field, TypedParameters.STRING, v -> v.putPointer(0, s)));
        return this;
    }

    /** A parameter of a type code libvirt may add later. */
    public TypedParametersFixture ofType(String field, int type) {
        params.add(new Param(field, type, v -> v.putLongLong(0, 1)));
        return this;
    }

    /** A parameter whose name fills the field without a terminating NUL. */
    public TypedParametersFixture unterminated() {
        params.add(new Param(null, TypedParameters.ULLONG, v -> v.putLongLong(0, 1)));
        return this;
    }

    public int count() {
        return params.size();
    }

    /** The parameters in native memory; a new block each call. */
    public Pointer build() {
        Pointer base = Memory.allocateDirect(RUNTIME, Math.max(1, params.size()) * TypedParameters.SIZE, true);
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            long at = (long) i * TypedParameters.SIZE;
            if (p.field() == null) {
                for (int b = 0; b < TypedParameters.FIELD_LENGTH; b++) {
                    base.putByte(at + b, (byte) 'x');
                }
            } else {
                byte[] name = p.field().getBytes(StandardCharsets.UTF_8);
                base.put(at, name, 0, name.length);
                base.putByte(at + name.length, (byte) 0);
            }
            base.putInt(at + TypedParameters.TYPE_OFFSET, p.type());
            p.value().write(base.slice(at + TypedParameters.VALUE_OFFSET, 8));
        }
        return base;
    }

    public TypedParameters view() {
        return new TypedParameters().reset(build(), params.size());
    }
}
