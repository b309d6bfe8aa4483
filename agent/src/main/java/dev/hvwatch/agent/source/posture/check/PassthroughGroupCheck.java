package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.QemuArgs;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * HY-SR-6C (and HY-SR-2): every device passed through to a VM sits in an IOMMU group that VM owns wholly. The IOMMU
 * isolates groups, not devices: devices of one group can reach each other by peer-to-peer DMA, so another device of
 * the group bound to a host driver, or given to another VM, is reachable from this VM. Bridges (PCI class 0x0604)
 * and devices without a driver are harmless members, as VFIO itself decides.
 *
 * <p>A VM's passthrough devices come from QEMU's {@code -device vfio-pci,host=…|sysfsdev=…} (QemuOpts or libvirt's
 * JSON) and libvirt's {@code <hostdev type='pci'>}; sysfs gives each device's group ({@code iommu_group} link), the
 * group's members ({@code /sys/kernel/iommu_groups/N/devices}) and their drivers ({@code driver} link).
 */
public final class PassthroughGroupCheck implements PostureCheck {
    private static final Set<String> VFIO_DRIVERS = Set.of("vfio-pci", "vfio-pci-nohotplug");
    /** Drivers that hold a device for passthrough without using it. */
    private static final Set<String> HOLDING_DRIVERS = Set.of("vfio-pci", "pci-stub");
    private static final String BRIDGE_CLASS = "0x0604";

    @Override
    public String id() {
        return "passthrough-group";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        Map<Guest, Set<String>> devices = new LinkedHashMap<>();
        Map<String, Guest> assignedTo = new HashMap<>();
        for (Guest g : host.guests()) {
            try {
                Set<String> own = passthroughDevices(g);
                if (!own.isEmpty()) {
                    devices.put(g, own);
                    own.forEach(d -> assignedTo.put(d, g));
                }
            } catch (UnreadableInput e) {
                problems.report(id(), e);
            }
        }
        List<Outcome> out = new ArrayList<>();
        for (Map.Entry<Guest, Set<String>> e : devices.entrySet()) {
            try {
                out.add(judge(host, e.getKey(), e.getValue(), assignedTo));
            } catch (UnreadableInput problem) {
                problems.report(id(), problem);
            }
        }
        return out;
    }

    private Outcome judge(HostView host, Guest guest, Set<String> own, Map<String, Guest> assignedTo)
            throws UnreadableInput {
        List<String> failing = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        Map<String, Object> evidence = new LinkedHashMap<>();
        for (String device : own) {
            Path sysDevice = host.sys("bus/pci/devices/" + device);
            String group = host.linkName(sysDevice.resolve("iommu_group"));
            if (group == null) {
                failing.add(device);
                reasons.add(device + " is in no IOMMU group: nothing confines its DMA");
                continue;
            }
            evidence.put("iommu_group." + device, group);
            List<String> conflicts = new ArrayList<>();
            for (String member : host.list(host.sys("kernel/iommu_groups/" + group + "/devices"))) {
                String conflict = member.equals(device) ? null : conflict(host, guest, member, assignedTo);
                if (conflict != null) {
                    conflicts.add(conflict);
                }
            }
            if (!conflicts.isEmpty()) {
                failing.add(device);
                reasons.add(device + " shares IOMMU group " + group + " with " + String.join(", ", conflicts));
            }
        }
        if (failing.isEmpty()) {
            return Outcome.pass(id(), guest.vm());
        }
        evidence.put("devices", String.join(",", failing));
        return Outcome.fail(id(), guest.vm(), "Passthrough device " + String.join("; ", reasons) + ": VM "
                        + guest.name() + " can reach it by DMA beyond the IOMMU's isolation.",
                "Give the VM the whole IOMMU group (every member bound to vfio-pci and assigned to it), or move the "
                        + "device to a slot whose IOMMU group holds it alone.",
                evidence).onDevice(String.join(",", failing));
    }

    /** Why a fellow member of the group breaks isolation, or null when it does not. */
    private static String conflict(HostView host, Guest guest, String member, Map<String, Guest> assignedTo)
            throws UnreadableInput {
        Path sysMember = host.sys("bus/pci/devices/" + member);
        String pciClass = host.read(sysMember.resolve("class"));
        if (pciClass != null && pciClass.startsWith(BRIDGE_CLASS)) {
            return null;
        }
        Guest owner = assignedTo.get(member);
        if (owner != null) {
            return owner == guest ? null : member + " (assigned to VM " + owner.name() + ")";
        }
        String driver = host.linkName(sysMember.resolve("driver"));
        return driver == null || HOLDING_DRIVERS.contains(driver) ? null
                : member + " (bound to the host driver " + driver + ")";
    }

    private static Set<String> passthroughDevices(Guest guest) throws UnreadableInput {
        Set<String> found = new LinkedHashSet<>();
        for (Map<String, String> device : guest.args().properties("device")) {
            String driver = device.getOrDefault("driver", device.get(QemuArgs.IMPLIED));
            if (!VFIO_DRIVERS.contains(driver)) {
                continue;
            }
            String host = device.get("host");
            String sysfsdev = device.get("sysfsdev");
            if (host != null) {
                found.add(fullAddress(host));
            } else if (sysfsdev != null) {
                found.add(fullAddress(Path.of(sysfsdev).getFileName().toString()));
            }
        }
        if (guest.libvirt().isPresent()) {
            found.addAll(guest.libvirt().get().pciHostdevs());
        }
        return found;
    }

    /** QEMU accepts {@code 3b:00.0} for domain 0; sysfs always names the domain. */
    private static String fullAddress(String bdf) {
        String lower = bdf.toLowerCase(Locale.ROOT);
        return lower.chars().filter(c -> c == ':').count() == 1 ? "0000:" + lower : lower;
    }
}
