package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Map;

/**
 * HY-SR-6C: IOMMU groups are the hardware's, not split by the out-of-tree ACS override patch
 * ({@code pcie_acs_override=downstream,multifunction}), which pretends devices are isolated that can still reach each
 * other by peer-to-peer DMA.
 */
public final class AcsOverrideCheck implements PostureCheck {
    @Override
    public String id() {
        return "acs-override";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        List<String> overrides = host.kernelCmdline().stream().filter(w -> w.startsWith("pcie_acs_override")).toList();
        if (overrides.isEmpty()) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, "The kernel splits IOMMU groups by the ACS override ("
                        + String.join(" ", overrides) + "): devices it separates can still reach each other by "
                        + "peer-to-peer DMA.",
                "Remove pcie_acs_override from the kernel command line and pass through only devices whose own "
                        + "IOMMU groups isolate them.",
                Map.of("kernel_cmdline", String.join(" ", overrides))));
    }
}
