package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.QemuArgs;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * HY-SR-6A: a VM is given simple (para-virtual) devices, not emulations of legacy hardware, whose device models are
 * large, old and a recurring source of guest-to-host escapes (the floppy controller's VENOM among them). Read from the
 * command line: legacy {@code -device} drivers and NIC models, floppy and parallel ports, the Cirrus VGA, and the
 * default devices QEMU adds without {@code -nodefaults}. libvirt always passes {@code -nodefaults} and lists its
 * devices there too.
 */
public final class LegacyDevicesCheck implements GuestCheck {
    static final Set<String> LEGACY = Set.of(
            "isa-fdc", "floppy", "sysbus-fdc", "cirrus-vga", "isa-cirrus-vga", "isa-parallel",
            "pcnet", "ne2k_pci", "ne2k_isa", "rtl8139",
            "sb16", "adlib", "gus", "cs4231a", "es1370", "ac97",
            "lsi53c895a", "lsi53c810", "am53c974", "dc390");

    @Override
    public String id() {
        return "legacy-devices";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) {
        QemuArgs args = guest.args();
        Set<String> found = new LinkedHashSet<>();
        for (Map<String, String> device : args.properties("device")) {
            String driver = device.getOrDefault("driver", device.get(QemuArgs.IMPLIED));
            if (LEGACY.contains(driver)) {
                found.add(driver);
            }
        }
        for (String nicOption : new String[] {"nic", "net"}) {
            for (Map<String, String> nic : args.properties(nicOption)) {
                if (LEGACY.contains(nic.get("model"))) {
                    found.add(nic.get("model"));
                }
            }
        }
        if (args.has("fda") || args.has("fdb")) {
            found.add("floppy");
        }
        if (args.values("parallel").stream().anyMatch(p -> !p.equals("none"))) {
            found.add("parallel port");
        }
        if (args.values("vga").contains("cirrus")) {
            found.add("cirrus-vga");
        }
        if (!args.has("nodefaults")) {
            found.add("QEMU's default devices (no -nodefaults)");
        }
        if (found.isEmpty()) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        return Optional.of(Outcome.fail(id(), guest.vm(), "VM " + guest.name() + " has legacy emulated devices ("
                        + String.join(", ", found) + "): large old device models the guest can attack.",
                "Give the VM virtio devices instead, start QEMU with -nodefaults (libvirt does), and remove floppy, "
                        + "parallel, ISA sound, Cirrus VGA and old NIC models.",
                Map.of("legacy_devices", String.join(",", found))));
    }
}
