package dev.hvwatch.agent.source.posture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.source.posture.TcpListeners.Listener;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /proc/net/tcp} and {@code tcp6} as Linux writes them on little-endian hosts. */
class TcpListenersTest {
    private static final String HEAD = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
            + "   uid  timeout inode\n";

    @TempDir
    Path net;

    @Test
    void listenersWithTheirAddressPortAndInodeOnlyInListenState() throws Exception {
        Files.writeString(net.resolve("tcp"), HEAD
                + "   0: 0100007F:170D 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 20102 1 0 100 0 0 10 0\n"
                + "   1: 00000000:B043 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 211829 1 0 100 0 0 10 0\n"
                + "   2: 0A00020F:0016 0100000A:D2F0 01 00000000:00000000 02:0009F7A1 00000000     0        0 33181 4 0 20 4 31 10 -1\n");
        Files.writeString(net.resolve("tcp6"), HEAD
                + "   0: 00000000000000000000000000000000:170C 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30001 1 0 100 0 0 10 0\n"
                + "   1: 00000000000000000000000001000000:407D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30002 1 0 100 0 0 10 0\n"
                + "   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30003 1 0 100 0 0 10 0\n");

        assertThat(TcpListeners.read(net)).containsExactly(
                new Listener("127.0.0.1", 5901, 20102, false),
                new Listener("0.0.0.0", 45123, 211829, true),
                new Listener("::", 5900, 30001, true),
                new Listener("::1", 16509, 30002, false),
                new Listener("::ffff:127.0.0.1", 8080, 30003, false));
        assertThat(new Listener("::", 5900, 1, true).endpoint()).isEqualTo("[::]:5900");
    }

    @Test
    void aMalformedLineNamesTheFileAndLine() throws Exception {
        Files.writeString(net.resolve("tcp"), HEAD + "   0: 0100007F:ZZZZ 00000000:0000 0A 0 0 0 0 0 1\n");

        assertThatThrownBy(() -> TcpListeners.read(net)).isInstanceOf(UnreadableInput.class)
                .hasMessageStartingWith(net.resolve("tcp") + ": line 2: ");
    }

    @Test
    void noTcp6FileMeansNoIpv6Listeners() throws Exception {
        Files.writeString(net.resolve("tcp"), HEAD);

        assertThat(TcpListeners.read(net)).isEmpty();
    }
}
