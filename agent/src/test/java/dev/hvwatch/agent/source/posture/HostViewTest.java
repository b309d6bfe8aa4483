package dev.hvwatch.agent.source.posture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading the real procfs, whose integer sysctls answer end of file to a read that does not start at offset 0. */
class HostViewTest {
    private static final Path PROC = Path.of("/proc");

    @Test
    void anIntegerSysctlOfSeveralDigitsIsReadWhole() throws Exception {
        HostView host = new HostView(new HostView.Roots(PROC, Path.of("/sys"), Path.of("/sys/fs/cgroup"),
                Path.of("/run/libvirt/qemu")), List.of());
        Path pidMax = PROC.resolve("sys/kernel/pid_max");
        String expected = Files.readAllLines(pidMax).get(0).strip();
        assertThat(expected).as("pid_max has several digits on every Linux").hasSizeGreaterThan(1);

        assertThat(host.read(pidMax)).isEqualTo(expected);
    }

    @Test
    void theHostsTcpListenersAreReadOnceForTheQemusInItsNetworkNamespace() throws Exception {
        HostView host = new HostView(new HostView.Roots(PROC, Path.of("/sys"), Path.of("/sys/fs/cgroup"),
                Path.of("/run/libvirt/qemu")), List.of());
        Path sameNamespace = PROC.resolve(Long.toString(ProcessHandle.current().pid()));

        assertThat(host.listenersOf(sameNamespace)).isSameAs(host.hostListeners());
    }
}
