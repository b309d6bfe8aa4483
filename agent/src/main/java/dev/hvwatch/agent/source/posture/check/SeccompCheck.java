package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.Map;
import java.util.Optional;

/**
 * HY-SR-6A: QEMU runs under a seccomp filter ({@code -sandbox on}), which shrinks what a compromised emulator can ask
 * of the kernel. {@code Seccomp:} in {@code /proc/PID/status} is 0 (none), 1 (strict) or 2 (filter); a kernel
 * without seccomp has no such line.
 */
public final class SeccompCheck implements GuestCheck {
    @Override
    public String id() {
        return "seccomp";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        String mode = guest.status().field("Seccomp");
        if ("1".equals(mode) || "2".equals(mode)) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        String state = mode == null ? "the kernel has no seccomp" : "Seccomp: " + mode;
        return Optional.of(Outcome.fail(id(), guest.vm(), "QEMU of VM " + guest.name() + " runs without a seccomp "
                        + "filter (" + state + "): every system call stays open to a compromised emulator.",
                "Start QEMU with -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny "
                        + "(libvirt: seccomp_sandbox = 1 in qemu.conf).",
                Map.of("seccomp", mode == null ? "absent" : mode)));
    }
}
