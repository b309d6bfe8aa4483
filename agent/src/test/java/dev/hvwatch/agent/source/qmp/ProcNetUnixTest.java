package dev.hvwatch.agent.source.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lines as Linux 6.18 wrote them while a client held a QEMU monitor and a second one waited in its queue. */
class ProcNetUnixTest {
    private static final String HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n";
    private static final String LISTENING = "00000000e3926bef: 00000002 00000000 00010000 0001 01 158958 /run/web.qmp\n";
    private static final String SERVED = "00000000ebbe683a: 00000003 00000000 00000000 0001 03 157907 /run/web.qmp\n";
    private static final String QUEUED = "0000000079320a43: 00000002 00000000 00000000 0001 02     0 /run/web.qmp\n";
    private static final String UNNAMED = "0000000032cb4cb0: 00000003 00000000 00000000 0001 03  1228\n";
    private static final String WITH_SPACE = "00000000f5639c9c: 00000002 00000000 00010000 0001 01 89728 /run/my vm.qmp\n";

    @TempDir
    Path proc;

    private ProcNetUnix sockets(String... lines) throws Exception {
        Files.createDirectories(proc.resolve("net"));
        Files.writeString(proc.resolve("net/unix"), HEADER + String.join("", lines));
        return new ProcNetUnix(proc);
    }

    @Test
    void aMonitorWithAnAcceptedConnectionIsHeld() throws Exception {
        assertThat(sockets(LISTENING, SERVED, QUEUED, UNNAMED).hasConnectedClient(Path.of("/run/web.qmp"))).isTrue();
    }

    @Test
    void connectionsStillInTheListenQueueDoNotHoldIt() throws Exception {
        assertThat(sockets(LISTENING, QUEUED, UNNAMED).hasConnectedClient(Path.of("/run/web.qmp"))).isFalse();
    }

    @Test
    void listenersAreFoundByPathEvenWithSpacesAndNamedByTheirFdLink() throws Exception {
        ProcNetUnix sockets = sockets(LISTENING, SERVED, UNNAMED, WITH_SPACE);

        Map<String, Path> byLink = sockets.listeners(Map.of("/run/web.qmp", Path.of("/run/web.qmp"),
                "/run/my vm.qmp", Path.of("/run/my vm.qmp")));

        assertThat(byLink).containsOnly(Map.entry("socket:[158958]", Path.of("/run/web.qmp")),
                Map.entry("socket:[89728]", Path.of("/run/my vm.qmp")));
    }

    /**
     * Any local user can bind a socket whose path is not UTF-8 (the kernel lists the raw bytes, as checked on this
     * machine): the QEMU monitors are still found.
     */
    @Test
    void aSocketPathThatIsNotUtf8DoesNotHideTheMonitors() throws Exception {
        Files.createDirectories(proc.resolve("net"));
        Files.write(proc.resolve("net/unix"), concat(HEADER.getBytes(StandardCharsets.US_ASCII),
                "000000007cecfb42: 00000002 00000000 00010000 0001 01 3372955 /tmp/".getBytes(StandardCharsets.US_ASCII),
                new byte[] {(byte) 0xff, (byte) 0xfe, '\n'}, LISTENING.getBytes(StandardCharsets.US_ASCII)));
        ProcNetUnix sockets = new ProcNetUnix(proc);

        assertThat(sockets.listeners(Map.of("/run/web.qmp", Path.of("/run/web.qmp"))))
                .containsOnly(Map.entry("socket:[158958]", Path.of("/run/web.qmp")));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
