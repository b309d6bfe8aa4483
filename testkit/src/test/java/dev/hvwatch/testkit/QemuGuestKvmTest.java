package dev.hvwatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Against real QEMU/KVM guests; skipped where there is no KVM, failing on CI where there is. */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
@Timeout(60)
class QemuGuestKvmTest {

    private static final Duration STARTUP = Duration.ofSeconds(20);

    @BeforeEach
    void needsRealKvm() {
        RealKvm.require();
    }

    @Test
    void ioStormAndCpuSpinGuestsEachGetAVcpuThread() throws Exception {
        QemuGuest storm = QemuGuest.builder().name("storm").program(GuestProgram.IO_STORM).start();
        QemuGuest spin = QemuGuest.builder().name("spin").program(GuestProgram.CPU_SPIN).start();

        Map<Integer, Long> stormThreads = storm.awaitVcpuThreads(STARTUP);
        Map<Integer, Long> spinThreads = spin.awaitVcpuThreads(STARTUP);

        assertThat(stormThreads).containsOnlyKeys(0);
        assertThat(spinThreads).containsOnlyKeys(0);
        assertThat(Path.of("/proc", "" + storm.pid(), "task", "" + stormThreads.get(0))).exists();
        assertThat(Path.of("/proc", "" + spin.pid(), "task", "" + spinThreads.get(0))).exists();
        assertThat(storm.isAlive()).isTrue();
        assertThat(spin.isAlive()).isTrue();
    }

    @Test
    void everyVcpuGetsItsOwnThread() throws Exception {
        QemuGuest guest = QemuGuest.builder().name("two").program(GuestProgram.IDLE).vcpus(2).start();

        Map<Integer, Long> threads = guest.awaitVcpuThreads(STARTUP);

        assertThat(threads).containsOnlyKeys(0, 1);
        assertThat(threads.get(0)).isNotEqualTo(threads.get(1));
    }

    @Test
    void spinningVcpuThreadRunsMostOfTheTime() throws Exception {
        QemuGuest spin = QemuGuest.builder().name("spin").program(GuestProgram.CPU_SPIN).start();
        long tid = spin.awaitVcpuThreads(STARTUP).get(0);
        Path schedstat = Path.of("/proc", "" + spin.pid(), "task", "" + tid, "schedstat");

        long before = runNanos(schedstat);
        Thread.sleep(1000);
        long ranNanos = runNanos(schedstat) - before;

        assertThat(ranNanos).isGreaterThan(500_000_000L);
    }

    @Test
    void pinningAndNiceApplyToQemuItself() throws Exception {
        QemuGuest guest = QemuGuest.builder().name("pinned,nice").uuid(UUID.randomUUID())
                .program(GuestProgram.IDLE).pinCpus("0").nice(19).start();
        guest.awaitVcpuThreads(STARTUP);

        // taskset and nice exec, so the pid we hold is QEMU's, not a wrapper's.
        assertThat(Path.of("/proc", "" + guest.pid(), "exe").toRealPath().getFileName())
                .hasToString("qemu-system-x86_64");
        assertThat(Files.readAllLines(Path.of("/proc", "" + guest.pid(), "status")))
                .contains("Cpus_allowed_list:\t0");
        assertThat(statField(guest.pid(), 19)).isEqualTo("19");
        assertThat(guest.commandLine()).contains("guest=pinned,,nice,debug-threads=on");
        assertThat(Files.readString(Path.of("/proc", "" + guest.pid(), "cmdline"))).contains(guest.uuid().toString());
    }

    @Test
    void qmpSocketAnswersTheQmpHandshake() throws Exception {
        QemuGuest guest = QemuGuest.builder().name("qmp").program(GuestProgram.IDLE).qmpSocket(true).start();
        guest.awaitVcpuThreads(STARTUP);

        try (SocketChannel qmp = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            qmp.connect(UnixDomainSocketAddress.of(guest.qmpSocketPath().orElseThrow()));
            BufferedReader replies = new BufferedReader(
                    new InputStreamReader(Channels.newInputStream(qmp), StandardCharsets.UTF_8));

            assertThat(replies.readLine()).startsWith("{\"QMP\":");
            qmp.write(ByteBuffer.wrap("{\"execute\":\"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(replies.readLine().replace(" ", "")).isEqualTo("{\"return\":{}}");
        }
    }

    @Test
    void closeKillsQemuAndRemovesItsFiles() throws Exception {
        QemuGuest guest = QemuGuest.builder().name("doomed").program(GuestProgram.CPU_SPIN).qmpSocket(true).start();
        guest.awaitVcpuThreads(STARTUP);
        Path workDir = guest.qmpSocketPath().orElseThrow().getParent();
        assertThat(workDir).isDirectory();

        guest.close();
        guest.close();

        assertThat(guest.isAlive()).isFalse();
        assertThat(Path.of("/proc", "" + guest.pid())).doesNotExist();
        assertThat(workDir).doesNotExist();
        assertThat(guest.vcpuThreadIds()).isEmpty();
    }

    @Test
    void qemuDyingEarlyIsReportedWithItsStderr() throws Exception {
        QemuGuest guest = QemuGuest.builder().name("broken").program(GuestProgram.IDLE)
                .extraArgs(List.of("-no-such-option")).start();

        assertThatThrownBy(() -> guest.awaitVcpuThreads(STARTUP))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with status 1")
                .hasMessageContaining("-no-such-option");
    }

    private static long runNanos(Path schedstat) throws IOException {
        return Long.parseLong(Files.readString(schedstat).split(" ")[0]);
    }

    /** Field {@code n} (1-based, as in proc(5)) of /proc/PID/stat; counted after the comm, which may hold spaces. */
    private static String statField(long pid, int n) throws IOException {
        String stat = Files.readString(Path.of("/proc", "" + pid, "stat"));
        String[] afterComm = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return afterComm[n - 3];
    }
}
