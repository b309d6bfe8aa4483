package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Map;

/**
 * HY-SR-2, HY-SR-6B, HY-SR-6C: an IOMMU is present and translating device DMA. Its units appear in
 * {@code /sys/class/iommu} (dmar0, ivhd0, smmu3.…) and the devices it translates in {@code /sys/kernel/iommu_groups};
 * a unit without groups is present but off.
 */
public final class IommuCheck implements PostureCheck {
    @Override
    public String id() {
        return "iommu";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        List<String> units = host.list(host.sys("class/iommu"));
        int groups = host.list(host.sys("kernel/iommu_groups")).size();
        if (!units.isEmpty() && groups > 0) {
            return List.of(Outcome.pass(id(), null));
        }
        String state = units.isEmpty() ? "no IOMMU unit in /sys/class/iommu" : "IOMMU " + String.join(", ", units)
                + " present but no device is in an IOMMU group";
        return List.of(Outcome.fail(id(), null, "No IOMMU translates device DMA on this host (" + state + "): "
                        + "devices can write anywhere in host memory and none can be passed through safely.",
                "Enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on (AMD).",
                Map.of("iommu_units", units.size(), "iommu_groups", groups)));
    }
}
