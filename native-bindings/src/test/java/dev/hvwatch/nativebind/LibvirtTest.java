package dev.hvwatch.nativebind;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.LibvirtGuest;
import dev.hvwatch.testkit.Libvirtd;
import dev.hvwatch.testkit.RealKvm;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import jnr.ffi.Pointer;
import jnr.ffi.byref.NativeLongByReference;
import jnr.ffi.byref.PointerByReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The binding against the host's real libvirtd and a real KVM domain. */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class LibvirtTest {
    private static final Libvirt LIBVIRT = Libvirt.load();

    @Test
    void bulkStatisticsOfARealDomain() throws Exception {
        RealKvm.require();
        Libvirtd.require();
        LibvirtGuest guest = LibvirtGuest.builder().name("hvwatch-nb-" + UUID.randomUUID().toString().substring(0, 8))
                .program(GuestProgram.IO_STORM).start();
        guest.awaitVcpuThreads(java.time.Duration.ofSeconds(30));
        Pointer conn = LIBVIRT.virConnectOpenReadOnly(Libvirtd.URI);
        assertThat(conn).as(LIBVIRT.virGetLastErrorMessage()).isNotNull();
        try {
            NativeLongByReference version = new NativeLongByReference();
            assertThat(LIBVIRT.virConnectGetLibVersion(conn, version)).isZero();
            String[] parts = Libvirtd.libraryVersion().split("\\.");
            assertThat(version.longValue()).isEqualTo(Long.parseLong(parts[0]) * 1_000_000
                    + Long.parseLong(parts[1]) * 1_000 + Long.parseLong(parts[2]));

            Map<String, Object> stats = statsOf(conn, guest.uuid());
            assertThat(stats).containsEntry("state.state", 1.0) // VIR_DOMAIN_RUNNING
                    .containsEntry("vcpu.current", 1.0)
                    .containsKeys("vcpu.0.exits.sum", "vcpu.0.delay", "vm.pages_4k.cur", "block.0.rd.reqs")
                    .containsEntry("block.0.name", "hda")
                    .containsEntry("vcpu.0.guest_mode.cur", 0.0);
            assertThat((double) stats.get("vcpu.0.exits.sum")).isPositive();
        } finally {
            assertThat(LIBVIRT.virConnectClose(conn)).isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    void aRefusedConnectionSaysWhy() {
        Pointer conn = LIBVIRT.virConnectOpenReadOnly("qemu+unix:///system?socket=/nonexistent/libvirt-sock");
        assertThat(conn).isNull();
        assertThat(LIBVIRT.virGetLastErrorMessage()).contains("/nonexistent/libvirt-sock");
    }

    private static Map<String, Object> statsOf(Pointer conn, UUID uuid) {
        PointerByReference list = new PointerByReference();
        int n = LIBVIRT.virConnectGetAllDomainStats(conn, Libvirt.STATS_STATE | Libvirt.STATS_VCPU | Libvirt.STATS_VM
                | Libvirt.STATS_BLOCK, list, Libvirt.GET_ALL_DOMAINS_STATS_ACTIVE | Libvirt.GET_ALL_DOMAINS_STATS_NOWAIT);
        assertThat(n).as(LIBVIRT.virGetLastErrorMessage()).isPositive();
        try {
            DomainStatsRecords records = new DomainStatsRecords(Libvirt.runtime().addressSize()).reset(list.getValue(), n);
            byte[] text = new byte[Libvirt.UUID_STRING_BUFLEN];
            for (int i = 0; i < n; i++) {
                assertThat(LIBVIRT.virDomainGetUUIDString(records.domain(i), text)).isZero();
                if (!new String(text, 0, 36, StandardCharsets.US_ASCII).equals(uuid.toString())) {
                    continue;
                }
                TypedParameters params = new TypedParameters().reset(records.params(i), records.paramCount(i));
                Map<String, Object> out = new HashMap<>();
                for (int p = 0; p < params.count(); p++) {
                    out.put(params.field(p), params.isNumber(p) ? (Object) params.number(p) : params.string(p));
                }
                return out;
            }
            throw new AssertionError("no record for domain " + uuid + " among " + n);
        } finally {
            LIBVIRT.virDomainStatsRecordListFree(list.getValue());
        }
    }
}
