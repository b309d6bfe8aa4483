package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * HY-SR-7: each QEMU is confined by a mandatory access control label of its own, so that it can open only its own VM's
 * disks and devices (libvirt's sVirt: SELinux {@code svirt_t} with per-VM categories, or AppArmor
 * {@code libvirt-UUID} profiles). {@code /proc/PID/attr/current} shows the label; "unconfined", an AppArmor profile in
 * complain mode, no label at all, or a label another VM's QEMU has too, all fail.
 */
public final class MacLabelCheck implements GuestCheck {
    @Override
    public String id() {
        return "mac-label";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        String label = guest.macLabel();
        String problem;
        if (label == null) {
            problem = "has no security label (no SELinux or AppArmor labels processes)";
        } else if (label.contains("unconfined")) {
            problem = "is unconfined (" + label + ")";
        } else if (label.endsWith("(complain)")) {
            problem = "is only logged, not confined (" + label + ")";
        } else {
            List<String> sharing = sharingLabel(host, guest, label);
            if (sharing.isEmpty()) {
                return Optional.of(Outcome.pass(id(), guest.vm()));
            }
            problem = "shares its label " + label + " with VM " + String.join(", ", sharing)
                    + ", so each may open the other's disks";
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("label", label == null ? "none" : label);
        guest.libvirt().ifPresent(d -> evidence.put("libvirt_seclabels", String.join(",", d.securityLabels())));
        return Optional.of(Outcome.fail(id(), guest.vm(), "QEMU of VM " + guest.name() + " " + problem + ".",
                "Confine each QEMU with a label of its own: libvirt's sVirt gives one (security_driver = \"selinux\" "
                        + "or \"apparmor\" in qemu.conf, <seclabel type='dynamic'>).",
                evidence));
    }

    private static List<String> sharingLabel(HostView host, Guest guest, String label) {
        List<String> sharing = new ArrayList<>();
        for (Guest other : host.guests()) {
            try {
                if (other != guest && label.equals(other.macLabel())) {
                    sharing.add(other.name());
                }
            } catch (UnreadableInput reportedInItsOwnTurn) {
                // The other VM's outcome reports its unreadable label.
            }
        }
        return sharing;
    }
}
