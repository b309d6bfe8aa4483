package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.LibvirtDomain;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.QemuArgs;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * HY-SR-8: a VM's disks and network interfaces have bandwidth or IOPS limits, so that one VM cannot saturate what all
 * share. Under libvirt, every {@code <disk>} needs an {@code <iotune>} and every {@code <interface>} a
 * {@code <bandwidth>} (libvirt applies both through QMP and tc, not the command line). For QEMU without libvirt, a
 * disk is limited by its {@code -drive} throttling options, a {@code throttle} filter node in front of its
 * {@code -blockdev}, or {@code io.max} / {@code blkio.throttle.*} on its cgroups; its network limits would be tc rules
 * on tap devices, which this check does not read.
 */
public final class IoLimitsCheck implements GuestCheck {
    /** {@code throttling.*} and the legacy {@code -drive} names (iops, bps_rd, iops_wr_max, …). */
    private static final Pattern DRIVE_LIMIT = Pattern.compile("throttling\\..+|(bps|iops)(_rd|_wr)?(_max)?");
    private static final List<String> CGROUP_LIMITS = List.of("io.max", "blkio.throttle.read_bps_device",
            "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device");

    @Override
    public String id() {
        return "io-limits";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        List<String> disks;
        List<String> nics;
        Optional<LibvirtDomain> libvirt = guest.libvirt();
        if (libvirt.isPresent()) {
            disks = libvirt.get().disksWithoutLimits();
            nics = libvirt.get().interfacesWithoutLimits();
        } else {
            Map<String, Boolean> all = disks(guest.args());
            if (all.isEmpty()) {
                return Optional.empty();
            }
            boolean cgroupLimited = cgroupLimited(host, guest);
            disks = new ArrayList<>();
            all.forEach((disk, limited) -> {
                if (!limited && !cgroupLimited) {
                    disks.add(disk);
                }
            });
            nics = List.of();
        }
        if (disks.isEmpty() && nics.isEmpty()) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        List<String> parts = new ArrayList<>();
        if (!disks.isEmpty()) {
            parts.add("disks without I/O limits (" + String.join(", ", disks) + ")");
        }
        if (!nics.isEmpty()) {
            parts.add("network interfaces without bandwidth limits (" + String.join(", ", nics) + ")");
        }
        return Optional.of(Outcome.fail(id(), guest.vm(), "VM " + guest.name() + " has " + String.join(" and ", parts)
                        + ": it can saturate storage and network the other VMs share.",
                "Set per-disk limits (libvirt <iotune>, QEMU throttling.* options, cgroup io.max) and per-interface "
                        + "<bandwidth>.",
                Map.of("unlimited_disks", String.join(",", disks), "unlimited_interfaces", String.join(",", nics))));
    }

    /**
     * Each disk of a QEMU command line and whether it is throttled: drives attached directly ({@code if=ide} …) and
     * devices' {@code drive=} backends, which name a {@code -drive id} or a {@code -blockdev node-name}.
     */
    static Map<String, Boolean> disks(QemuArgs args) {
        Map<String, Boolean> drives = new HashMap<>();
        Map<String, Boolean> disks = new LinkedHashMap<>();
        List<Map<String, String>> driveProps = args.properties("drive");
        for (int i = 0; i < driveProps.size(); i++) {
            Map<String, String> d = driveProps.get(i);
            if ("cdrom".equals(d.get("media")) && d.get("file") == null) {
                continue; // an empty CD-ROM drive has no I/O to limit
            }
            boolean limited = d.keySet().stream().anyMatch(k -> DRIVE_LIMIT.matcher(k).matches());
            String id = d.get("id");
            if (id != null) {
                drives.put(id, limited);
            }
            if (!"none".equals(d.get("if"))) {
                disks.put(id != null ? id : d.getOrDefault("file", "drive " + i), limited);
            }
        }
        Map<String, Boolean> nodes = new HashMap<>();
        for (Map<String, String> b : args.properties("blockdev")) {
            if (b.get("node-name") != null) {
                nodes.put(b.get("node-name"), "throttle".equals(b.get("driver")));
            }
        }
        Set<String> seen = new HashSet<>(disks.keySet());
        for (Map<String, String> device : args.properties("device")) {
            String backend = device.get("drive");
            if (backend != null && seen.add(backend)) {
                disks.put(backend, drives.getOrDefault(backend, nodes.getOrDefault(backend, false)));
            }
        }
        return disks;
    }

    private static boolean cgroupLimited(HostView host, Guest guest) throws UnreadableInput {
        for (Path dir : guest.cgroupChain("blkio")) {
            for (String file : CGROUP_LIMITS) {
                String value = host.read(dir.resolve(file));
                if (value != null && !value.isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }
}
