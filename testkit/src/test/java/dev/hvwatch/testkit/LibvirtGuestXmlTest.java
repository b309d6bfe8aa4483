package dev.hvwatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The domain XML a test guest is defined with: CPU placement as libvirt's documentation writes it. */
class LibvirtGuestXmlTest {
    @Test
    void sharesAndVcpupinShareOneCputune() {
        String xml = LibvirtGuest.builder().name("t").program(GuestProgram.CPU_SPIN).vcpus(2).shares(512)
                .vcpupin(0, "0").vcpupin(1, "1").xml(Path.of("/var/lib/libvirt/images/t.img"));
        assertThat(xml).contains("<vcpu placement='static'>2</vcpu>")
                .contains("<cputune><shares>512</shares><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/>"
                        + "</cputune>");
    }

    @Test
    void aCpusetAloneNeedsNoCputune() {
        String xml = LibvirtGuest.builder().name("t").program(GuestProgram.CPU_SPIN).cpuset("1")
                .xml(Path.of("/i.img"));
        assertThat(xml).contains("<vcpu placement='static' cpuset='1'>1</vcpu>").doesNotContain("cputune");
        assertThatThrownBy(() -> LibvirtGuest.builder().vcpupin(0, "0;reboot")).isInstanceOf(
                IllegalArgumentException.class);
    }
}
