package dev.hvwatch.agent.source.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The libvirt source where there is no libvirtd to talk to. */
class LibvirtSourceTest {
    @TempDir
    Path dir;

    @Test
    void aRefusedConnectionMakesTheSourceDownWithOneLineSayingWhy() throws Exception {
        try (EventRing ring = new EventRing(64);
             LibvirtSource source = new LibvirtSource("qemu+unix:///system?socket=" + dir.resolve("no-daemon"),
                     List::of, ring, new KvmStatSeries())) {
            assertThatThrownBy(() -> source.sample(1)).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot connect to libvirt").hasMessageContaining("no-daemon")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            assertThat(source.connected()).isFalse();
            assertThatThrownBy(() -> source.sample(2)).as("still down, retried after a backoff")
                    .hasMessageContaining("no-daemon");
        }
    }

    @Test
    void autoRunsTheSourceOnlyWhereLibvirtsDaemonHasItsSocket() throws Exception {
        assertThat(LibvirtSource.wanted("auto", "qemu:///system", dir)).isFalse();
        Files.createFile(dir.resolve("libvirt-sock-ro"));
        assertThat(LibvirtSource.wanted("auto", "qemu:///system", dir)).as("libvirt's library is installed here")
                .isTrue();
        assertThat(LibvirtSource.wanted("false", "qemu:///system", dir)).isFalse();
        assertThat(LibvirtSource.wanted("true", "qemu:///system", dir.resolve("nowhere"))).isTrue();
        assertThat(LibvirtSource.wanted("auto", "qemu+tls://hv-02/system", dir.resolve("nowhere")))
                .as("a remote daemon has no local socket to look for").isTrue();
    }
}
