package dev.hvwatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

class RealKvmTest {

    @TempDir
    Path dir;

    @Test
    void missingKvmDeviceIsNamed() {
        assertThat(RealKvm.unavailableReason(dir.resolve("kvm"), "/usr/bin"))
                .hasValueSatisfying(reason -> assertThat(reason).contains("kvm").contains("does not exist"));
    }

    @Test
    void missingQemuSaysHowToInstallIt() throws IOException {
        Path kvm = Files.createFile(dir.resolve("kvm"));

        assertThat(RealKvm.unavailableReason(kvm, dir.toString()))
                .hasValue("qemu-system-x86_64 not installed: run apt-get install -y qemu-system-x86");
    }

    @Test
    void availableWhenKvmIsUsableAndQemuIsOnThePath() throws IOException {
        Path kvm = Files.createFile(dir.resolve("kvm"));
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Files.createFile(bin.resolve("qemu-system-x86_64"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));

        assertThat(RealKvm.unavailableReason(kvm, dir.resolve("none") + ":" + bin)).isEmpty();
    }

    @Test
    void onCiWithAKvmDeviceAMissingPieceFailsTheTest() {
        assertThatThrownBy(() -> RealKvm.require(Optional.of("qemu missing"), true, true))
                .isInstanceOf(AssertionError.class).hasMessageContaining("qemu missing");
    }

    @Test
    void elsewhereAMissingPieceSkipsTheTest() {
        assertThatThrownBy(() -> RealKvm.require(Optional.of("no kvm"), true, false))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("no kvm");
        assertThatThrownBy(() -> RealKvm.require(Optional.of("qemu missing"), false, true))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("qemu missing");
    }

    @Test
    void nothingHappensWhenEverythingIsThere() {
        assertThatNoException().isThrownBy(() -> RealKvm.require(Optional.empty(), true, true));
    }
}
