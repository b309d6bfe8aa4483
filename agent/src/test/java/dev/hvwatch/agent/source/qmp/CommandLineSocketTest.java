package dev.hvwatch.agent.source.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.source.discovery.QemuCommandLine;
import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Vm;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CommandLineSocketTest {
    private static Vm vm(Path socket, String... argv) {
        boolean libvirt = QemuCommandLine.parse(List.of(argv)).libvirtMonitor();
        return new Vm(42, 1, "web", "", 1, Optional.of(socket), true, List.of(argv), libvirt ? Vm.LIBVIRT : Vm.QEMU,
                new Tenancy());
    }

    @Test
    void aQmpSocketOnTheCommandLineIsUsed() {
        Vm vm = vm(Path.of("/run/web.qmp"), "qemu-system-x86_64", "-qmp", "unix:/run/web.qmp,server=on,wait=off");

        assertThat(CommandLineSocket.of(vm, Path.of("/proc"))).contains(Path.of("/run/web.qmp"));
    }

    @Test
    void aRelativeSocketIsFoundInQemusWorkingDirectory() {
        Vm vm = vm(Path.of("web.qmp"), "qemu-system-x86_64", "-qmp", "unix:web.qmp,server=on,wait=off");

        assertThat(CommandLineSocket.of(vm, Path.of("/proc"))).contains(Path.of("/proc/42/cwd/web.qmp"));
    }

    @Test
    void libvirtsOwnMonitorIsLeftToLibvirt() {
        Vm vm = vm(Path.of("/var/lib/libvirt/qemu/domain-7-web/monitor.sock"), "/usr/bin/qemu-system-x86_64",
                "-chardev", "socket,id=charmonitor,path=/var/lib/libvirt/qemu/domain-7-web/monitor.sock,server=on,"
                        + "wait=off",
                "-mon", "chardev=charmonitor,id=monitor,mode=control");

        assertThat(CommandLineSocket.of(vm, Path.of("/proc"))).isEmpty();
    }
}
