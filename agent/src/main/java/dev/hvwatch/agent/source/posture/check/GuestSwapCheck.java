package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HY-SR-3: a VM's memory stays resident. Guest RAM is QEMU's memory, so {@code VmSwap} in {@code /proc/PID/status}
 * shows how much of it the host swapped out: the guarantee the VM was given is not kept.
 */
public final class GuestSwapCheck implements GuestCheck {
    @Override
    public String id() {
        return "guest-swap";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        long swapped = guest.status().bytes("VmSwap");
        if (swapped == 0) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        return Optional.of(Outcome.fail(id(), guest.vm(), String.format(Locale.ROOT, "%.1f MiB of VM %s's memory is "
                                + "swapped out (VmSwap): the host does not keep the memory it promised the VM.",
                        swapped / (double) (1 << 20), guest.name()),
                "Keep the VM's memory resident: reserve it (memory.min, locked or hugepage-backed guest memory) or "
                        + "reduce memory overcommit.",
                Map.of("swapped_bytes", swapped)));
    }
}
