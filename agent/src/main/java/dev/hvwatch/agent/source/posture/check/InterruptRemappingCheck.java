package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Map;

/**
 * HY-SR-6C: the IOMMU remaps interrupts, so that a passed-through device cannot forge MSIs into the host or other VMs.
 * While it does, x86 names the interrupt domains above it {@code IR-…} in {@code /proc/interrupts} (IR-IO-APIC,
 * IR-PCI-MSI, IR-PCI-MSIX-0000:…). Without an IOMMU there is nothing to remap with; the iommu check reports that.
 */
public final class InterruptRemappingCheck implements PostureCheck {
    @Override
    public String id() {
        return "interrupt-remapping";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        if (host.list(host.sys("class/iommu")).isEmpty()) {
            return List.of();
        }
        String interrupts = host.read(host.proc("interrupts"));
        if (interrupts == null) {
            throw new UnreadableInput(host.proc("interrupts"), "missing");
        }
        for (String word : interrupts.split("\\s+")) {
            if (word.startsWith("IR-")) {
                return List.of(Outcome.pass(id(), null));
            }
        }
        return List.of(Outcome.fail(id(), null, "The IOMMU does not remap interrupts (no IR- interrupt domain in "
                        + "/proc/interrupts): a passed-through device can inject interrupts into the host or other VMs.",
                "Remove intremap=off and nointremap from the kernel command line and enable interrupt remapping "
                        + "(x2APIC) in the firmware.",
                Map.of("interrupt_remapping", 0)));
    }
}
