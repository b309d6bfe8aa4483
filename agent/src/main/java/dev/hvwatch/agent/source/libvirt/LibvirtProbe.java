package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.nativebind.Libvirt;
import jnr.ffi.Pointer;
import jnr.ffi.byref.NativeLongByReference;

/**
 * What {@code hvwatch-agent doctor} says of libvirt: whether the agent can reach it read-only, which libvirt and QEMU
 * answer, and whether libvirt relays the KVM statistics (its {@code VM} statistics group: libvirt 8.9 and QEMU 7.1 or
 * later). It connects and disconnects; it subscribes to nothing.
 *
 * @param reachable whether a read-only connection opened
 * @param detail    one sentence: the versions, or why it could not connect
 * @param kvmStatistics whether libvirt relays the KVM statistics
 */
public record LibvirtProbe(boolean reachable, String detail, boolean kvmStatistics) {
    static final long LIBVIRT_WITH_VM_STATS = 8_009_000;
    static final long QEMU_WITH_STATS = 7_001_000;

    public static LibvirtProbe of(String uri) {
        Libvirt libvirt;
        try {
            libvirt = LibvirtLibrary.load();
        } catch (LinkageError e) {
            return new LibvirtProbe(false, "libvirt's library (libvirt.so.0) is not installed", false);
        }
        Pointer conn = libvirt.virConnectOpenReadOnly(uri);
        if (conn == null) {
            return new LibvirtProbe(false, "cannot connect read-only to " + uri + ": "
                    + libvirt.virGetLastErrorMessage(), false);
        }
        try {
            NativeLongByReference lib = new NativeLongByReference();
            NativeLongByReference hypervisor = new NativeLongByReference();
            if (libvirt.virConnectGetLibVersion(conn, lib) < 0 || libvirt.virConnectGetVersion(conn, hypervisor) < 0) {
                return new LibvirtProbe(true, "connected to " + uri + ", but it does not say its version: "
                        + libvirt.virGetLastErrorMessage(), false);
            }
            boolean stats = lib.longValue() >= LIBVIRT_WITH_VM_STATS && hypervisor.longValue() >= QEMU_WITH_STATS;
            return new LibvirtProbe(true, "connected read-only to " + uri + ": libvirt "
                    + LibvirtLibrary.version(lib.longValue()) + ", QEMU " + LibvirtLibrary.version(hypervisor.longValue()),
                    stats);
        } finally {
            libvirt.virConnectClose(conn);
        }
    }
}
