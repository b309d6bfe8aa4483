package dev.hvwatch.agent.source.posture.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.source.posture.QemuArgs;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How QEMU command lines say their disks and RAM, as io-limits and memory-overcommit read them. */
class QemuDisksAndMemoryTest {
    @Test
    void eachDiskOfACommandLineAndWhetherItIsThrottled() {
        QemuArgs args = QemuArgs.parse(List.of("qemu",
                "-drive", "file=a.qcow2,if=virtio,iops=1000",
                "-drive", "file=b.qcow2,if=none,id=d1",
                "-device", "virtio-blk-pci,drive=d1",
                "-drive", "if=ide,media=cdrom",
                "-blockdev", "{\"driver\":\"file\",\"filename\":\"c.raw\",\"node-name\":\"c-file\"}",
                "-blockdev", "{\"driver\":\"throttle\",\"throttle-group\":\"tg0\",\"file\":\"c-file\",\"node-name\":\"c\"}",
                "-device", "{\"driver\":\"virtio-blk-pci\",\"drive\":\"c\"}",
                "-blockdev", "driver=file,filename=d.raw,node-name=d",
                "-device", "scsi-hd,drive=d"));

        assertThat(IoLimitsCheck.disks(args)).containsExactly(
                Map.entry("a.qcow2", true), Map.entry("d1", false),
                Map.entry("c", true), Map.entry("d", false));
    }

    @Test
    void qemuSizesAreMibWithoutASuffix() {
        assertThat(MemoryOvercommitCheck.size("4096")).isEqualTo(4096L << 20);
        assertThat(MemoryOvercommitCheck.size("4194304k")).isEqualTo(4096L << 20);
        assertThat(MemoryOvercommitCheck.size("1.5G")).isEqualTo(1536L << 20);
        assertThatThrownBy(() -> MemoryOvercommitCheck.size("lots")).isInstanceOf(IllegalArgumentException.class);
    }
}
