package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.QemuArgs;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * HY-SR-2: every VM runs on hardware-assisted virtualisation. Discovery tells: a QEMU under KVM holds {@code /dev/kvm}
 * or a KVM VM descriptor, a TCG one does not. Under TCG the guest's every instruction passes through QEMU's emulator
 * in a host process, with no hardware boundary around it.
 */
public final class HardwareVirtualisationCheck implements GuestCheck {
    @Override
    public String id() {
        return "hw-virt";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) {
        if (guest.vm().kvm()) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        String accelerator = accelerator(guest.args());
        return Optional.of(Outcome.fail(id(), guest.vm(),
                "VM " + guest.name() + " runs emulated by TCG (accelerator: " + accelerator + "), without "
                        + "hardware-assisted CPU and memory virtualisation.",
                "Start it with -accel kvm (libvirt: <domain type='kvm'>) on a host with VT-x or AMD-V enabled.",
                Map.of("accelerator", accelerator, "kvm", 0)));
    }

    /** What the command line asked for: {@code -accel}, {@code -machine accel=}, or nothing (QEMU's default). */
    private static String accelerator(QemuArgs args) {
        List<String> asked = args.properties("accel").stream().map(p -> p.get(QemuArgs.IMPLIED)).toList();
        if (asked.isEmpty()) {
            asked = args.properties("machine").stream().map(p -> p.get("accel")).filter(a -> a != null).toList();
        }
        return asked.isEmpty() ? "none given, so tcg" : String.join(", then ", asked);
    }
}
