package dev.hvwatch.agent.source.discovery;

import static dev.hvwatch.agent.source.discovery.CommandLineRedaction.MASK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.source.posture.QemuArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandLineRedactionTest {
    private static final String SECRET = "hunter2-Zq9";

    @Test
    void secretObjectsLoseDataAndIvButKeepTheirIdFormatAndKeyFile() {
        assertThat(redact("-object", "secret,id=sec0,data=" + SECRET + ",iv=" + SECRET + "iv,format=base64"))
                .containsExactly("qemu-system-x86_64", "-object",
                        "secret,id=sec0,data=" + MASK + ",iv=" + MASK + ",format=base64");
        assertThat(redact("-object", "secret,id=sec1,file=/etc/pki/qemu/key.b64,format=base64"))
                .containsExactly("qemu-system-x86_64", "-object",
                        "secret,id=sec1,file=/etc/pki/qemu/key.b64,format=base64");
    }

    @Test
    void jsonObjectsLoseTheValuesOfUnlistedKeysAtAnyDepth() {
        List<String> out = redact("-object", "{\"qom-type\":\"secret\",\"id\":\"sec0\",\"data\":\"" + SECRET
                + "\",\"format\":\"raw\"}", "-blockdev", "{\"driver\":\"rbd\",\"pool\":\"p\",\"image\":\"i\","
                + "\"server\":[{\"host\":\"ceph-1\",\"port\":\"6789\"}],\"user\":\"admin\",\"key\":\"" + SECRET
                + "\",\"file\":{\"driver\":\"file\",\"filename\":\"/var/lib/x.img\",\"password\":\"" + SECRET
                + "\"}}");
        assertThat(String.join(" ", out)).doesNotContain(SECRET);
        assertThat(out.get(2)).isEqualTo("{\"qom-type\":\"secret\",\"id\":\"sec0\",\"data\":\"" + MASK
                + "\",\"format\":\"raw\"}");
        assertThat(QemuArgs.parseValue(out.get(4))).containsEntry("driver", "rbd")
                .containsEntry("server.0.host", "ceph-1").containsEntry("file.filename", "/var/lib/x.img")
                .containsEntry("file.password", MASK).containsEntry("user", MASK);
    }

    @Test
    void passwordKeysAreMaskedWhereverTheyAppear() {
        String joined = String.join(" ", redact(
                "-spice", "port=5930,addr=127.0.0.1,password=" + SECRET,
                "-vnc", "127.0.0.1:1,password=" + SECRET + ",passwd=" + SECRET,
                "-drive", "file=/d.img,if=none,id=d0,file.passwd=" + SECRET + ",encrypt.key-secret=sec0",
                "-chardev", "socket,id=c0,path=/run/q.sock,server=on,wait=off,tls-creds=tls0"));
        assertThat(joined).doesNotContain(SECRET)
                .contains("-spice port=5930,addr=127.0.0.1,password=" + MASK)
                .contains("-vnc 127.0.0.1:1,password=" + MASK + ",passwd=" + MASK)
                .contains("-chardev socket,id=c0,path=/run/q.sock,server=on,wait=off,tls-creds=tls0");
    }

    @Test
    void unlistedOptionsLoseTheirWholeValue() {
        assertThat(redact("-iscsi", "user=admin,password=" + SECRET + ",initiator-name=iqn.x",
                "-append", "console=ttyS0 rootpw=" + SECRET, "-incoming", "exec:ssh root@h cat " + SECRET,
                "-fw_cfg", "name=opt/pw,string=" + SECRET))
                .containsExactly("qemu-system-x86_64", "-iscsi", MASK, "-append", MASK, "-incoming", MASK,
                        "-fw_cfg", MASK);
    }

    @Test
    void urlsKeepTheirHostAndLoseTheirUserInfo() {
        assertThat(redact("-drive", "file=https://alice:" + SECRET + "@images.example.net/x.qcow2,if=virtio",
                "-cdrom", "ftp://bob:p@ss" + SECRET + "@mirror/boot.iso",
                "iscsi://carol%" + SECRET + "@10.0.0.1/iqn/0"))
                .containsExactly("qemu-system-x86_64",
                        "-drive", "file=https://" + MASK + "@images.example.net/x.qcow2,if=virtio",
                        "-cdrom", "ftp://" + MASK + "@mirror/boot.iso", "iscsi://" + MASK + "@10.0.0.1/iqn/0");
    }

    @Test
    void pseudoFilenamesThatEmbedOptionsKeepOnlyTheirProtocol() {
        assertThat(redact("-drive", "file=rbd:pool/img:id=admin:key=" + SECRET + ",format=raw",
                "-drive", "file=json:{\"driver\":\"http\",,\"password\":\"" + SECRET + "\"}"))
                .containsExactly("qemu-system-x86_64", "-drive", "file=rbd:" + MASK + ",format=raw",
                        "-drive", "file=json:" + MASK);
    }

    @Test
    void aValueThatLooksLikeAnOptionIsStillTheValueOfTheOptionBeforeIt() {
        assertThat(redact("-append", "-" + SECRET, "-name", "guest=web,debug-threads=on", "-nodefaults",
                "-" + SECRET + "!"))
                .containsExactly("qemu-system-x86_64", "-append", MASK, "-name", "guest=web,debug-threads=on",
                        "-nodefaults", MASK);
    }

    @Test
    void commasInKeptValuesStayEscapedAsQemuWroteThem() {
        assertThat(redact("-name", "guest=a,,b,process=qemu:a", "-device", "virtio-blk,drive=d,,0,serial=XYZ"))
                .containsExactly("qemu-system-x86_64", "-name", "guest=a,,b,process=qemu:a",
                        "-device", "virtio-blk,drive=d,,0,serial=" + MASK);
    }

    /** What the posture checks and the QMP source read survives redaction of a libvirt-style command line. */
    @Test
    void postureSeesTheSameOptionsItReadsAfterRedaction() {
        List<String> argv = List.of("/usr/bin/qemu-system-x86_64", "-name", "guest=web,debug-threads=on",
                "-S", "-object", "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":"
                        + "\"/var/lib/libvirt/qemu/domain-1-web/master-key.aes\"}",
                "-machine", "pc-q35-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram",
                "-accel", "kvm", "-m", "size=2097152k", "-smp", "2,sockets=2,cores=1,threads=1",
                "-uuid", "2b1e7e35-3c1a-4f4e-9d1c-2f0b7d5e6a11", "-no-user-config", "-nodefaults",
                "-chardev", "socket,id=charmonitor,fd=31,server=on,wait=off",
                "-mon", "chardev=charmonitor,id=monitor,mode=control",
                "-blockdev", "{\"driver\":\"throttle\",\"node-name\":\"th0\",\"throttle-group\":\"g0\","
                        + "\"file\":\"libvirt-1-format\"}",
                "-drive", "file=/var/lib/d.img,format=qcow2,if=none,id=drive0,throttling.iops-total=100",
                "-device", "{\"driver\":\"vfio-pci\",\"host\":\"0000:3b:00.0\",\"id\":\"hostdev0\"}",
                "-device", "virtio-blk-pci,drive=drive0,id=disk0",
                "-net", "nic,model=rtl8139", "-parallel", "none", "-vga", "cirrus",
                "-object", "secret,id=sec0,data=" + SECRET);
        QemuArgs before = QemuArgs.parse(argv);
        QemuArgs after = QemuArgs.parse(CommandLineRedaction.redact(argv));
        for (String option : List.of("device", "drive", "blockdev", "accel", "machine", "m", "net", "mon")) {
            assertThat(readKeys(after.properties(option))).as(option).isEqualTo(readKeys(before.properties(option)));
        }
        assertThat(after.values("parallel")).isEqualTo(before.values("parallel"));
        assertThat(after.values("vga")).isEqualTo(before.values("vga"));
        assertThat(after.has("nodefaults")).isTrue();
        assertThat(QemuCommandLine.parse(CommandLineRedaction.redact(argv))).isEqualTo(QemuCommandLine.parse(argv));
        assertThat(String.join(" ", CommandLineRedaction.redact(argv))).doesNotContain(SECRET);
    }

    /** The keys the posture checks and the QMP source read, as they are read. */
    private static List<Map<String, String>> readKeys(List<Map<String, String>> props) {
        List<String> read = List.of(QemuArgs.IMPLIED, "driver", "host", "sysfsdev", "drive", "media", "file", "id",
                "if", "node-name", "accel", "size", "model", "chardev", "mode", "throttling.iops-total");
        List<Map<String, String>> out = new ArrayList<>();
        for (Map<String, String> p : props) {
            Map<String, String> kept = new java.util.TreeMap<>();
            read.forEach(k -> {
                if (p.containsKey(k)) {
                    kept.put(k, p.get(k));
                }
            });
            out.add(kept);
        }
        return out;
    }

    private static List<String> redact(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add("qemu-system-x86_64");
        argv.addAll(List.of(args));
        return CommandLineRedaction.redact(argv);
    }
}
