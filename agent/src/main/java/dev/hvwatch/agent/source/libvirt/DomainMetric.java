package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.ring.Series;
import java.util.HashMap;
import java.util.Map;

/**
 * The statistics besides KVM's that hvwatch publishes from libvirt's bulk statistics, by group: per device (disks
 * and network interfaces, labelled {@code device}) and per VM (balloon, state, CPU time). Names and units follow
 * Prometheus' conventions, converted to base units (libvirt gives nanoseconds and KiB).
 *
 * @param group  the statistics group and its field suffix, e.g. {@code block} and {@code rd.bytes}
 * @param scale  what libvirt's value is multiplied by to be in {@code unit}
 */
public enum DomainMetric {
    BLOCK_READ_REQUESTS(Group.BLOCK, "rd.reqs", "hvwatch.vm.block.read.requests", null, true, 1,
            "Read requests the VM made to a disk"),
    BLOCK_READ_BYTES(Group.BLOCK, "rd.bytes", "hvwatch.vm.block.read", "bytes", true, 1, "Bytes the VM read from a disk"),
    BLOCK_READ_TIME(Group.BLOCK, "rd.times", "hvwatch.vm.block.read.time", "seconds", true, 1e-9,
            "Time the VM's disk reads took"),
    BLOCK_WRITE_REQUESTS(Group.BLOCK, "wr.reqs", "hvwatch.vm.block.write.requests", null, true, 1,
            "Write requests the VM made to a disk"),
    BLOCK_WRITE_BYTES(Group.BLOCK, "wr.bytes", "hvwatch.vm.block.write", "bytes", true, 1,
            "Bytes the VM wrote to a disk"),
    BLOCK_WRITE_TIME(Group.BLOCK, "wr.times", "hvwatch.vm.block.write.time", "seconds", true, 1e-9,
            "Time the VM's disk writes took"),
    BLOCK_FLUSH_REQUESTS(Group.BLOCK, "fl.reqs", "hvwatch.vm.block.flush.requests", null, true, 1,
            "Flush requests the VM made to a disk"),
    BLOCK_FLUSH_TIME(Group.BLOCK, "fl.times", "hvwatch.vm.block.flush.time", "seconds", true, 1e-9,
            "Time the VM's disk flushes took"),
    BLOCK_ERRORS(Group.BLOCK, "errors", "hvwatch.vm.block.errors", null, true, 1,
            "I/O errors on a disk of the VM (for the back ends that count them)"),
    BLOCK_ALLOCATION(Group.BLOCK, "allocation", "hvwatch.vm.block.allocation", "bytes", false, 1,
            "Bytes of a disk's image written so far (its highest offset, for sparse images)"),
    BLOCK_CAPACITY(Group.BLOCK, "capacity", "hvwatch.vm.block.capacity", "bytes", false, 1,
            "A disk's size as the guest sees it"),
    BLOCK_PHYSICAL(Group.BLOCK, "physical", "hvwatch.vm.block.physical", "bytes", false, 1,
            "Bytes a disk's image takes on the host"),
    NET_RECEIVE_BYTES(Group.NET, "rx.bytes", "hvwatch.vm.network.receive", "bytes", true, 1,
            "Bytes the VM received on a network interface"),
    NET_RECEIVE_PACKETS(Group.NET, "rx.pkts", "hvwatch.vm.network.receive.packets", null, true, 1,
            "Packets the VM received on a network interface"),
    NET_RECEIVE_ERRORS(Group.NET, "rx.errs", "hvwatch.vm.network.receive.errors", null, true, 1,
            "Receive errors on a network interface of the VM"),
    NET_RECEIVE_DROPS(Group.NET, "rx.drop", "hvwatch.vm.network.receive.drops", null, true, 1,
            "Packets for the VM dropped on receive"),
    NET_TRANSMIT_BYTES(Group.NET, "tx.bytes", "hvwatch.vm.network.transmit", "bytes", true, 1,
            "Bytes the VM sent on a network interface"),
    NET_TRANSMIT_PACKETS(Group.NET, "tx.pkts", "hvwatch.vm.network.transmit.packets", null, true, 1,
            "Packets the VM sent on a network interface"),
    NET_TRANSMIT_ERRORS(Group.NET, "tx.errs", "hvwatch.vm.network.transmit.errors", null, true, 1,
            "Transmit errors on a network interface of the VM"),
    NET_TRANSMIT_DROPS(Group.NET, "tx.drop", "hvwatch.vm.network.transmit.drops", null, true, 1,
            "Packets from the VM dropped on transmit"),
    BALLOON_CURRENT(Group.BALLOON, "current", "hvwatch.vm.balloon.current", "bytes", false, 1024,
            "Memory the VM has now, after its balloon"),
    BALLOON_MAXIMUM(Group.BALLOON, "maximum", "hvwatch.vm.balloon.maximum", "bytes", false, 1024,
            "Memory the VM may have at most"),
    BALLOON_AVAILABLE(Group.BALLOON, "available", "hvwatch.vm.balloon.available", "bytes", false, 1024,
            "Memory the guest sees (its balloon driver's report)"),
    BALLOON_USABLE(Group.BALLOON, "usable", "hvwatch.vm.balloon.usable", "bytes", false, 1024,
            "Memory the guest could use without swapping (its balloon driver's report)"),
    BALLOON_UNUSED(Group.BALLOON, "unused", "hvwatch.vm.balloon.unused", "bytes", false, 1024,
            "Memory the guest leaves unused (its balloon driver's report)"),
    BALLOON_DISK_CACHES(Group.BALLOON, "disk_caches", "hvwatch.vm.balloon.disk_caches", "bytes", false, 1024,
            "Memory the guest uses for disk caches it could free (its balloon driver's report)"),
    BALLOON_SWAP_IN(Group.BALLOON, "swap_in", "hvwatch.vm.balloon.swap.in", "bytes", true, 1024,
            "Memory the guest swapped in (its balloon driver's report)"),
    BALLOON_SWAP_OUT(Group.BALLOON, "swap_out", "hvwatch.vm.balloon.swap.out", "bytes", true, 1024,
            "Memory the guest swapped out (its balloon driver's report)"),
    BALLOON_MAJOR_FAULTS(Group.BALLOON, "major_fault", "hvwatch.vm.balloon.major.faults", null, true, 1,
            "Page faults in the guest that needed I/O (its balloon driver's report)"),
    BALLOON_MINOR_FAULTS(Group.BALLOON, "minor_fault", "hvwatch.vm.balloon.minor.faults", null, true, 1,
            "Page faults in the guest that needed no I/O (its balloon driver's report)"),
    MEMORY_RSS(Group.BALLOON, "rss", "hvwatch.vm.memory.rss", "bytes", false, 1024,
            "Host memory the VM's QEMU process holds (resident set)"),
    STATE(Group.STATE, "state", "hvwatch.vm.state", null, false, 1,
            "libvirt's state of the VM: 1 running, 2 blocked, 3 paused, 4 shutting down, 5 shut off, 6 crashed, "
                    + "7 suspended by the guest (virDomainState)"),
    CPU_USAGE(Group.CPU, "time", "hvwatch.vm.cpu.usage", "seconds", true, 1e-9,
            "CPU time the VM's QEMU process used, vCPUs and emulator threads together (its cgroup's)");

    /** The statistics groups of one domain's record, named as the first word of their fields. */
    public enum Group {
        STATE("state"), CPU("cpu"), BALLOON("balloon"), VCPU("vcpu"), NET("net"), BLOCK("block"), VM("vm");

        private final String prefix;

        Group(String prefix) {
            this.prefix = prefix;
        }

        public String prefix() {
            return prefix;
        }

        /** Whether a group's fields are per device ({@code block.N.…}, {@code net.N.…}). */
        public boolean perDevice() {
            return this == NET || this == BLOCK;
        }
    }

    private static final Map<String, DomainMetric> BY_FIELD = new HashMap<>();

    static {
        for (DomainMetric m : values()) {
            BY_FIELD.put(m.group.prefix + "." + m.field, m);
        }
    }

    private final Group group;
    private final String field;
    private final String seriesName;
    private final String unit;
    private final boolean cumulative;
    private final double scale;
    private final String help;

    DomainMetric(Group group, String field, String seriesName, String unit, boolean cumulative, double scale,
                 String help) {
        this.group = group;
        this.field = field;
        this.seriesName = seriesName;
        this.unit = unit;
        this.cumulative = cumulative;
        this.scale = scale;
        this.help = help;
    }

    /** The metric for a group and the field's suffix after the device index, e.g. (block, rd.bytes); or null. */
    static DomainMetric of(Group group, String field) {
        return BY_FIELD.get(group.prefix + "." + field);
    }

    public Group group() {
        return group;
    }

    public double scale() {
        return scale;
    }

    /** The series of this metric for one device ({@code device} non-null) or for the VM. */
    public Series series(String device) {
        return new Series(seriesName, help, unit, cumulative,
                device == null ? Map.of() : Map.of(Series.DEVICE, device));
    }
}
