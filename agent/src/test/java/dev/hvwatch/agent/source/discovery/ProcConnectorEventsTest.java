package dev.hvwatch.agent.source.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The process events connector on this machine's kernel, and the decoding of datagrams it sent (captured from a
 * Linux 6.1 x86_64 host for a shell that renamed itself, then executed {@code true}, pid 23578).
 */
public class ProcConnectorEventsTest {
    private static final String ACK = "4c000000030000004602000000000000010000000100000046020000010000002800000000000000"
            + "010000000be75202d7410000000000000000000000000000000000000000000000000000";
    private static final String EXEC = "4c000000030000004802000000000000010000000100000048020000000000002800000002000000"
            + "010000009b9f6c02d74100001a5c00001a5c000000000000000000000000000000000000";
    private static final String COMM = "4c000000030000004902000000000000010000000100000049020000000000002800000000020000"
            + "01000000b35f8b02d74100001a5c00001a5c000072656e616d6564000000000000000000";
    private static final String EXIT = "4c000000030000004b0200000000000001000000010000004b0200000000000028000000000000"
            + "800100000094139f02d74100001a5c00001a5c00000000000011000000f15b0000f15b0000";
    private static final long PID = 23578;

    /**
     * Whether the kernel sends this process the events: root in the initial pid and user namespaces, whose inode
     * numbers are fixed ({@code PROC_PID_INIT_INO}, {@code PROC_USER_INIT_INO} in {@code include/linux/proc_ns.h}).
     * The tests run so on this project's machines; in a container the agent must fall back, which is tested instead.
     */
    public static boolean receivesProcessEvents() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString().equals("pid:[4026531836]")
                && Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString().equals("user:[4026531837]")
                && Files.readString(Path.of("/proc/self/status")).contains("\nUid:\t0\t");
    }

    @Test
    void reportsWhatAProcessStartedOnThisHostDidOrSaysWhyItCannot() throws Exception {
        if (!receivesProcessEvents()) {
            assertThatThrownBy(ProcConnectorEvents::open).isInstanceOf(IOException.class)
                    .hasMessageMatching(".*(namespace|CAP_NET_ADMIN|socket).*");
            return;
        }
        try (ProcConnectorEvents events = ProcConnectorEvents.open()) {
            Process shell = new ProcessBuilder("sh", "-c", "printf renamed > /proc/self/comm; exec true").start();
            long pid = shell.pid();
            assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
            ProcessEventBatch batch = new ProcessEventBatch();
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> {
                assertThat(events.readInto(batch)).as("nothing lost").isTrue();
                return batch.ended().contains(pid);
            });
            assertThat(batch.execed()).contains(pid);
            assertThat(batch.threadsChanged()).as("renamed").contains(pid);
            assertThat(events.overflows()).isZero();
        }
    }

    @Test
    void decodesTheKernelsDatagrams() {
        ProcessEventBatch batch = new ProcessEventBatch();
        for (String datagram : new String[] {ACK, EXEC, COMM}) {
            decode(datagram, batch);
        }
        assertThat(batch.execed()).containsExactly(PID);
        assertThat(batch.threadsChanged()).as("renamed").containsExactly(PID);
        assertThat(batch.ended()).isEmpty();

        decode(EXIT, batch);
        assertThat(batch.ended()).containsExactly(PID);
    }

    @Test
    void aThreadEndingIsAChangeOfItsProcesssThreadsNotItsEnd() {
        byte[] threadExit = HexFormat.of().parseHex(EXIT);
        ByteBuffer.wrap(threadExit).order(ByteOrder.nativeOrder()).putInt(52, (int) PID + 3); // process_pid: a thread
        ProcessEventBatch batch = new ProcessEventBatch();
        ProcConnectorEvents.decode(ByteBuffer.wrap(threadExit).order(ByteOrder.nativeOrder()), threadExit.length, batch);
        assertThat(batch.ended()).isEmpty();
        assertThat(batch.threadsChanged()).containsExactly(PID);
    }

    @Test
    void aDatagramTooShortForAnEventIsNone() {
        ProcessEventBatch batch = new ProcessEventBatch();
        ProcConnectorEvents.decode(ByteBuffer.wrap(HexFormat.of().parseHex(EXEC)).order(ByteOrder.nativeOrder()), 40,
                batch);
        assertThat(batch.execed()).isEmpty();
    }

    private static void decode(String hex, ProcessEventBatch batch) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        ProcConnectorEvents.decode(ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()), bytes.length, batch);
    }
}
