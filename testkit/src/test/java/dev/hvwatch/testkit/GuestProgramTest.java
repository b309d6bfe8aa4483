package dev.hvwatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GuestProgramTest {

    @ParameterizedTest
    @EnumSource(GuestProgram.class)
    void imageIsABootableSectorStartingWithTheProgram(GuestProgram program) {
        byte[] image = program.diskImage();
        byte[] code = program.code();

        assertThat(image).hasSize(512);
        assertThat(Arrays.copyOfRange(image, 510, 512)).containsExactly(0x55, 0xAA);
        assertThat(Arrays.copyOf(image, code.length)).isEqualTo(code);
        assertThat(Arrays.copyOfRange(image, code.length, 510)).containsOnly(0);
    }

    @Test
    void programsAreTheDocumentedMachineCode() {
        assertThat(GuestProgram.IO_STORM.code()).containsExactly(0xFA, 0xB0, 0x42, 0xE6, 0x80, 0xEB, 0xFA);
        assertThat(GuestProgram.CPU_SPIN.code()).containsExactly(0xFA, 0xEB, 0xFE);
        assertThat(GuestProgram.IDLE.code()).containsExactly(0xFA, 0xF4, 0xEB, 0xFD);
    }

    @Test
    void callersCannotCorruptTheProgram() {
        GuestProgram.CPU_SPIN.code()[0] = 0;
        GuestProgram.CPU_SPIN.diskImage()[0] = 0;

        assertThat(GuestProgram.CPU_SPIN.code()[0]).isEqualTo((byte) 0xFA);
        assertThat(GuestProgram.CPU_SPIN.diskImage()[0]).isEqualTo((byte) 0xFA);
    }
}
