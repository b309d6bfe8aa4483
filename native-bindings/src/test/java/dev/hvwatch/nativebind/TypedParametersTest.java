package dev.hvwatch.nativebind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;

/** Typed parameters laid out in native memory exactly as libvirt lays out {@code struct _virTypedParameter}. */
class TypedParametersTest {
    private static final jnr.ffi.Runtime RUNTIME = LibC.runtime();

    @Test
    void readsEveryTypeInPlace() {
        Pointer p = Memory.allocateDirect(RUNTIME, 7 * TypedParameters.SIZE, true);
        Pointer text = cString("hda");
        put(p, 0, "state.state", TypedParameters.INT, v -> v.putInt(0, -3));
        put(p, 1, "vcpu.current", TypedParameters.UINT, v -> v.putInt(0, 0xFFFF_FFFF));
        put(p, 2, "cpu.time", TypedParameters.LLONG, v -> v.putLongLong(0, -5_000_000_000L));
        put(p, 3, "vcpu.0.exits.sum", TypedParameters.ULLONG, v -> v.putLongLong(0, -1L)); // 2^64 - 1
        put(p, 4, "dirtyrate.calc_rate", TypedParameters.DOUBLE, v -> v.putDouble(0, 2.5));
        put(p, 5, "vcpu.0.guest_mode.cur", TypedParameters.BOOLEAN, v -> v.putByte(0, (byte) 1));
        put(p, 6, "block.0.name", TypedParameters.STRING, v -> v.putPointer(0, text));

        TypedParameters params = new TypedParameters().reset(p, 7);
        assertThat(params.field(3)).isEqualTo("vcpu.0.exits.sum");
        assertThat(params.number(0)).isEqualTo(-3);
        assertThat(params.number(1)).isEqualTo(4_294_967_295.0);
        assertThat(params.number(2)).isEqualTo(-5e9);
        assertThat(params.number(3)).isEqualTo(18_446_744_073_709_551_615.0);
        assertThat(params.number(4)).isEqualTo(2.5);
        assertThat(params.number(5)).isEqualTo(1);
        assertThat(params.isNumber(6)).isFalse();
        assertThat(params.string(6)).isEqualTo("hda");
        assertThat(params.string(0)).isNull();
        assertThatThrownBy(() -> params.number(6)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("type 7");
    }

    @Test
    void comparesNamesWithoutAllocatingStrings() {
        Pointer p = Memory.allocateDirect(RUNTIME, TypedParameters.SIZE, true);
        put(p, 0, "vm.pages_4k.cur", TypedParameters.ULLONG, v -> v.putLongLong(0, 7));
        byte[] buffer = new byte[TypedParameters.FIELD_LENGTH];
        int length = new TypedParameters().reset(p, 1).fieldInto(0, buffer);
        assertThat(new String(buffer, 0, length, StandardCharsets.US_ASCII)).isEqualTo("vm.pages_4k.cur");
    }

    @Test
    void hostileParametersAreReportedNotReadPast() {
        Pointer p = Memory.allocateDirect(RUNTIME, 3 * TypedParameters.SIZE, true);
        for (int i = 0; i < TypedParameters.FIELD_LENGTH; i++) {
            p.putByte(i, (byte) 'x'); // a field without its NUL
        }
        p.putInt(TypedParameters.TYPE_OFFSET, TypedParameters.ULLONG);
        put(p, 1, "block.0.name", TypedParameters.STRING, v -> v.putPointer(0, null));
        put(p, 2, "future.stat", 42, v -> v.putLongLong(0, 1));

        TypedParameters params = new TypedParameters().reset(p, 3);
        assertThat(params.fieldInto(0, new byte[TypedParameters.FIELD_LENGTH])).isEqualTo(-1);
        assertThat(params.field(0)).isNull();
        assertThat(params.string(1)).isNull();
        assertThat(params.isNumber(2)).isFalse();
        assertThatThrownBy(() -> params.number(2)).hasMessageContaining("type 42");
        assertThatThrownBy(() -> params.type(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void stringsAreBounded() {
        byte[] longText = new byte[TypedParameters.MAX_STRING + 100];
        java.util.Arrays.fill(longText, (byte) 'a');
        Pointer s = Memory.allocateDirect(RUNTIME, longText.length + 1, true);
        s.put(0, longText, 0, longText.length);
        Pointer p = Memory.allocateDirect(RUNTIME, TypedParameters.SIZE, true);
        put(p, 0, "block.0.path", TypedParameters.STRING, v -> v.putPointer(0, s));
        assertThat(new TypedParameters().reset(p, 1).string(0)).hasSize(TypedParameters.MAX_STRING);
    }

    @Test
    void recordsViewReadsTheStructLibvirtReturns() {
        int address = RUNTIME.addressSize();
        Pointer params = Memory.allocateDirect(RUNTIME, TypedParameters.SIZE, true);
        put(params, 0, "state.state", TypedParameters.INT, v -> v.putInt(0, 1));
        Pointer domain = Memory.allocateDirect(RUNTIME, 8, true);
        Pointer record = Memory.allocateDirect(RUNTIME, 3L * address, true);
        record.putPointer(0, domain);
        record.putPointer(address, params);
        record.putInt(2L * address, 1);
        Pointer list = Memory.allocateDirect(RUNTIME, 2L * address, true);
        list.putPointer(0, record);

        DomainStatsRecords records = new DomainStatsRecords(address).reset(list, 1);
        assertThat(records.domain(0).address()).isEqualTo(domain.address());
        assertThat(records.paramCount(0)).isEqualTo(1);
        assertThat(new TypedParameters().reset(records.params(0), 1).number(0)).isEqualTo(1);
        assertThatThrownBy(() -> new DomainStatsRecords(address).reset(list, 2).domain(1))
                .hasMessageContaining("NULL");
    }

    private interface Value {
        void write(Pointer value);
    }

    private static void put(Pointer base, int index, String field, int type, Value value) {
        long at = (long) index * TypedParameters.SIZE;
        byte[] name = field.getBytes(StandardCharsets.US_ASCII);
        base.put(at, name, 0, name.length);
        base.putByte(at + name.length, (byte) 0);
        base.putInt(at + TypedParameters.TYPE_OFFSET, type);
        value.write(base.slice(at + TypedParameters.VALUE_OFFSET, 8));
    }

    private static Pointer cString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        Pointer p = Memory.allocateDirect(RUNTIME, bytes.length + 1, true);
        p.put(0, bytes, 0, bytes.length);
        return p;
    }
}
