package dev.hvwatch.agent.source.tracepoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The devices of the host's IOMMU groups ({@code /sys/kernel/iommu_groups/N/devices/DEVICE}, links to the devices),
 * those of groups handed to VMs first: a group with a member bound to vfio-pci (or held by pci-stub) is a guest's
 * to drive, and a guest is who a DMA attack comes from.
 */
final class IommuGroupDevices {
    private static final Set<String> PASSTHROUGH_DRIVERS = Set.of("vfio-pci", "vfio-pci-nohotplug", "pci-stub");

    private IommuGroupDevices() {
    }

    /** Device names, passthrough groups first, then by group number and name; empty without IOMMU groups. */
    static List<String> list(Path sysRoot) throws IOException {
        record Group(int number, List<String> devices, boolean passthrough) {
        }
        List<Group> groups = new ArrayList<>();
        Path root = sysRoot.resolve("kernel/iommu_groups");
        for (Path group : children(root)) {
            int number;
            try {
                number = Integer.parseInt(group.getFileName().toString());
            } catch (NumberFormatException notAGroup) {
                continue;
            }
            List<String> devices = new ArrayList<>();
            boolean passthrough = false;
            for (Path device : children(group.resolve("devices"))) {
                devices.add(device.getFileName().toString());
                passthrough |= PASSTHROUGH_DRIVERS.contains(driver(device));
            }
            devices.sort(null);
            groups.add(new Group(number, devices, passthrough));
        }
        groups.sort(Comparator.comparing((Group g) -> !g.passthrough()).thenComparingInt(Group::number));
        List<String> names = new ArrayList<>();
        groups.forEach(g -> names.addAll(g.devices()));
        return names;
    }

    private static String driver(Path device) throws IOException {
        try {
            Path target = Files.readSymbolicLink(device.resolve("driver"));
            return target.getFileName() == null ? "" : target.getFileName().toString();
        } catch (NoSuchFileException unbound) {
            return "";
        }
    }

    private static List<Path> children(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(out::add);
        } catch (NoSuchFileException absent) {
            return out;
        }
        return out;
    }
}
