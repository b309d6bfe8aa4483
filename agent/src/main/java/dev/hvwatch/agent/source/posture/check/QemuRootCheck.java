package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.Map;
import java.util.Optional;

/**
 * HY-SR-6A, HY-SR-7: QEMU, which emulates devices for an untrusted guest, runs as an unprivileged user, so that a
 * guest that escapes into it does not hold the host ({@code Uid:} of {@code /proc/PID/status}, the effective one).
 */
public final class QemuRootCheck implements GuestCheck {
    @Override
    public String id() {
        return "qemu-root";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        long uid = guest.status().effectiveUid();
        if (uid != 0) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        return Optional.of(Outcome.fail(id(), guest.vm(), "QEMU of VM " + guest.name() + " runs as root (uid 0): a "
                        + "guest that escapes into its device emulation holds the host.",
                "Run QEMU as an unprivileged user (libvirt: user = \"qemu\" in qemu.conf; QEMU: -runas USER).",
                Map.of("uid", uid)));
    }
}
