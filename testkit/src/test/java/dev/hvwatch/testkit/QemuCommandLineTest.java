package dev.hvwatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The QEMU argv, checked without starting anything. */
class QemuCommandLineTest {

    private static final Path DIR = Path.of("/tmp/hvwatch-guest-1");
    private static final UUID ID = UUID.fromString("6f1c1a52-8d0e-4a4b-9a57-2f43c1b5d3e1");

    @Test
    void commasInOptionValuesAreDoubled() {
        assertThat(QemuGuest.escapeOptionValue("plain")).isEqualTo("plain");
        assertThat(QemuGuest.escapeOptionValue("a,b,,c")).isEqualTo("a,,b,,,,c");
    }

    @Test
    void minimalGuestRunsQemuDirectly() {
        List<String> command = QemuGuest.builder().name("victim").uuid(ID).program(GuestProgram.IDLE)
                .commandLine(DIR);

        assertThat(command).containsExactly("qemu-system-x86_64",
                "-accel", "kvm", "-m", "32", "-smp", "1", "-nodefaults", "-display", "none",
                "-name", "guest=victim,debug-threads=on",
                "-uuid", ID.toString(),
                "-drive", "file=/tmp/hvwatch-guest-1/boot.img,format=raw,if=ide,snapshot=on");
    }

    @Test
    void everyOptionEndsUpInTheCommand() {
        List<String> command = QemuGuest.builder().name("evil,guest=other").uuid(ID).program(GuestProgram.CPU_SPIN)
                .vcpus(2).memoryMib(64).pinCpus("0-1").nice(19).accelerator("tcg").qmpSocket(true)
                .extraArgs(List.of("-S")).commandLine(DIR);

        assertThat(command).startsWith("taskset", "-c", "0-1", "nice", "-n", "19", "qemu-system-x86_64")
                .containsSequence("-accel", "tcg")
                .containsSequence("-m", "64", "-smp", "2")
                .containsSequence("-name", "guest=evil,,guest=other,debug-threads=on")
                .containsSequence("-qmp", "unix:/tmp/hvwatch-guest-1/qmp.sock,server=on,wait=off")
                .endsWith("-S");
    }

    @Test
    void invalidSettingsAreRejectedBeforeAnythingStarts() {
        QemuGuest.Builder builder = QemuGuest.builder();

        assertThatThrownBy(() -> builder.pinCpus("0; rm -rf /")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.nice(20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.vcpus(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.accelerator("kvm -S")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.name(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(builder::start).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
    }
}
