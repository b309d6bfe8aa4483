package dev.hvwatch.agent.source.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {

    private static QemuCommandLine parse(String... argv) {
        return QemuCommandLine.parse(List.of(argv));
    }

    @Test
    void plainQemuWithGuestKeyAndQmpSocket() {
        QemuCommandLine c = parse("/usr/bin/qemu-system-x86_64", "-accel", "kvm", "-m", "32", "-smp", "2",
                "-name", "guest=web-1,debug-threads=on", "-uuid", "5f2a8c1e-0b7d-4d4e-9a43-2c1b0e6f7a11",
                "-qmp", "unix:/run/hvwatch/web-1.qmp,server=on,wait=off");
        assertThat(c.name()).isEqualTo("web-1");
        assertThat(c.uuid()).isEqualTo("5f2a8c1e-0b7d-4d4e-9a43-2c1b0e6f7a11");
        assertThat(c.vcpus()).isEqualTo(2);
        assertThat(c.qmpSocket()).contains(Path.of("/run/hvwatch/web-1.qmp"));
    }

    @Test
    void nameWithoutKeyIsTheImpliedGuestName() {
        assertThat(parse("qemu-system-x86_64", "-name", "db").name()).isEqualTo("db");
        assertThat(parse("qemu-system-x86_64", "--name", "db,process=qemu-db").name()).isEqualTo("db");
    }

    @Test
    void doubledCommaIsALiteralCommaInTheName() {
        assertThat(parse("qemu-system-x86_64", "-name", "guest=a,,b,,,debug-threads=on").name()).isEqualTo("a,b,");
        assertThat(parse("qemu-system-x86_64", "-name", "x,,y").name()).isEqualTo("x,y");
    }

    @Test
    void libvirtStyleMonitorThroughChardev() {
        QemuCommandLine c = parse("/usr/bin/qemu-system-x86_64",
                "-name", "guest=instance-0000002a,debug-threads=on",
                "-chardev", "socket,id=charmonitor,fd=33,server=on,wait=off",
                "-chardev", "socket,id=charqmp,path=/var/lib/libvirt/qemu/domain-7-instance/monitor.sock,server=on,wait=off",
                "-mon", "chardev=charqmp,id=monitor,mode=control",
                "-smp", "sockets=1,cores=2,threads=2");
        assertThat(c.name()).isEqualTo("instance-0000002a");
        assertThat(c.qmpSocket()).contains(Path.of("/var/lib/libvirt/qemu/domain-7-instance/monitor.sock"));
        assertThat(c.vcpus()).isEqualTo(4);
        assertThat(c.libvirtMonitor()).as("a monitor on another chardev is not libvirt's").isFalse();
    }

    @Test
    void libvirtsOwnMonitorMarksALibvirtDomain() {
        // libvirt 9.0 passes the monitor as an inherited fd; older ones as a path under /var/lib/libvirt/qemu.
        assertThat(parse("/usr/bin/qemu-system-x86_64", "-name", "guest=web,debug-threads=on",
                "-chardev", "socket,id=charmonitor,fd=31,server=on,wait=off",
                "-mon", "chardev=charmonitor,id=monitor,mode=control").libvirtMonitor()).isTrue();
        assertThat(parse("/usr/bin/qemu-system-x86_64", "-chardev",
                "socket,id=charmonitor,path=/var/lib/libvirt/qemu/domain-7-web/monitor.sock,server=on,wait=off",
                "-mon", "chardev=charmonitor,id=monitor,mode=control").libvirtMonitor()).isTrue();
        assertThat(parse("qemu-system-x86_64", "-qmp", "unix:/run/web.qmp,server=on,wait=off").libvirtMonitor())
                .isFalse();
    }

    @Test
    void humanMonitorIsNotQmpAndTcpIsNoSocketPath() {
        assertThat(parse("qemu", "-chardev", "socket,id=m,path=/tmp/hmp.sock,server=on", "-mon", "chardev=m")
                .qmpSocket()).isEmpty();
        assertThat(parse("qemu", "-qmp", "tcp:0.0.0.0:4444,server=on,wait=off").qmpSocket()).isEmpty();
        assertThat(parse("qemu", "-qmp", "unix:/tmp/q.sock,server,nowait").qmpSocket()).contains(Path.of("/tmp/q.sock"));
    }

    @Test
    void missingPiecesGiveDefaultsNotErrors() {
        QemuCommandLine c = parse("qemu-system-x86_64", "-smp", "cpus=bad", "-name");
        assertThat(c.name()).isNull();
        assertThat(c.uuid()).isNull();
        assertThat(c.vcpus()).isEqualTo(1);
        assertThat(c.qmpSocket()).isEmpty();
    }
}
