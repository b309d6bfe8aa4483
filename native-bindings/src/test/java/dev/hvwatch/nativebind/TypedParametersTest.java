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
        TypedParameters params = new TypedParametersFixture()
                .integer("state.state", -3)
                .number("vcpu.0.exits.sum", -1L) // 2^64 - 1 as an unsigned counter
                .bool("vcpu.0.guest_mode.cur", true)
                .string("block.0.name", "hda")
                .view();
        assertThat(params.field(1)).isEqualTo("vcpu.0.exits.sum");
        assertThat(params.number(0)).isEqualTo(-3);
        assertThat(params.number(1)).isEqualTo(18_446_744_073_709_551_615.0);
        assertThat(params.number(2)).isEqualTo(1);
        assertThat(params.isNumber(3)).isFalse();
        assertThat(params.string(3)).isEqualTo("hda");
        assertThat(params.string(0)).isNull();
        assertThatThrownBy(() -> params.number(3)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("type 7");
    }

    @Test
    void signedAndUnsignedThirtyTwoBitsAndDoubles() {
        Pointer p = Memory.allocateDirect(RUNTIME, 3 * TypedParameters.SIZE, true);
        put(p, 0, "vcpu.current", TypedParameters.UINT, v -> v.putInt(0, 0xFFFF_FFFF));
        put(p, 1, "cpu.time", TypedParameters.LLONG, v -> v.putLongLong(0, -5_000_000_000L));
        put(p, 2, "dirtyrate.calc_rate", TypedParameters.DOUBLE, v -> v.putDouble(0, 2.5));
        TypedParameters params = new TypedParameters().reset(p, 3);
        assertThat(params.number(0)).isEqualTo(4_294_967_295.0);
        assertThat(params.number(1)).isEqualTo(-5e9);
        assertThat(params.number(2)).isEqualTo(2.5);
    }

    @Test
    void comparesNamesWithoutAllocatingStrings() {
        TypedParameters params = new TypedParametersFixture().number("vm.pages_4k.cur", 7).string("net.0.name", "vnet3")
                .view();
        byte[] buffer = new byte[TypedParameters.FIELD_LENGTH];
        int length = params.fieldInto(0, buffer);
        assertThat(new String(buffer, 0, length, StandardCharsets.US_ASCII)).isEqualTo("vm.pages_4k.cur");
        byte[] text = new byte[16];
        assertThat(params.stringInto(1, text)).isEqualTo(5);
        assertThat(new String(text, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("vnet3");
        assertThat(params.stringInto(0, text)).as("not a string").isEqualTo(-1);
    }

    @Test
    void hostileParametersAreReportedNotReadPast() {
        TypedParameters params = new TypedParametersFixture().unterminated().string("block.0.name", null)
                .ofType("future.stat", 42).view();
        assertThat(params.fieldInto(0, new byte[TypedParameters.FIELD_LENGTH])).isEqualTo(-1);
        assertThat(params.field(0)).isNull();
        assertThat(params.string(1)).isNull();
        assertThat(params.stringInto(1, new byte[8])).isEqualTo(-1);
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
