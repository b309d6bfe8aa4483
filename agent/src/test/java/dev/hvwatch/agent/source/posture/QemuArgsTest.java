package dev.hvwatch.agent.source.posture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class QemuArgsTest {
    @Test
    void optionsKeepEveryValueInOrderAndFlagsHaveNone() {
        QemuArgs args = QemuArgs.parse(List.of("qemu-system-x86_64", "-nodefaults", "-device", "virtio-rng-pci",
                "--device", "e1000,netdev=n0", "-S", "-m", "4G"));

        assertThat(args.has("nodefaults")).isTrue();
        assertThat(args.values("device")).containsExactly("virtio-rng-pci", "e1000,netdev=n0");
        assertThat(args.values("S")).containsExactly("");
        assertThat(args.values("m")).containsExactly("4G");
        assertThat(args.values("vnc")).isEmpty();
    }

    @Test
    void qemuOptsValuesSplitOnSingleCommasWithTheLeadingElementImplied() {
        assertThat(QemuArgs.parseValue("vfio-pci,host=3b:00.0,id=a,,b,x-vga"))
                .containsEntry(QemuArgs.IMPLIED, "vfio-pci").containsEntry("host", "3b:00.0")
                .containsEntry("id", "a,b").containsEntry("x-vga", "on");
    }

    @Test
    void jsonValuesAsLibvirtWritesThemFlattenToDottedKeys() {
        assertThat(QemuArgs.parseValue("{\"qom-type\":\"throttle-group\",\"id\":\"tg0\",\"limits\":"
                + "{\"iops-total\":100},\"x\":[true]}"))
                .containsEntry("qom-type", "throttle-group").containsEntry("limits.iops-total", "100")
                .containsEntry("x.0", "true");
        assertThat(QemuArgs.parseValue("{\"driver\":")).containsEntry(QemuArgs.IMPLIED, "{\"driver\":");
    }
}
