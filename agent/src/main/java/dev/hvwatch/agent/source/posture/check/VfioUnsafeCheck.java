package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HY-SR-6C: VFIO's two unsafe switches are off. {@code vfio.enable_unsafe_noiommu_mode} hands devices out with no
 * IOMMU at all; {@code vfio_iommu_type1.allow_unsafe_interrupts} passes devices through without interrupt remapping.
 * A module that is not loaded has neither switch on.
 */
public final class VfioUnsafeCheck implements PostureCheck {
    private static final List<String> SWITCHES = List.of(
            "vfio.enable_unsafe_noiommu_mode", "vfio_iommu_type1.allow_unsafe_interrupts");

    @Override
    public String id() {
        return "vfio-unsafe";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        List<String> on = new ArrayList<>();
        Map<String, Object> evidence = new LinkedHashMap<>();
        for (String name : SWITCHES) {
            int dot = name.indexOf('.');
            String value = host.moduleParameter(name.substring(0, dot), name.substring(dot + 1));
            if (value != null) {
                evidence.put(name, value);
            }
            if (HostView.isOn(value)) {
                on.add(name + "=" + value);
            }
        }
        if (on.isEmpty()) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, "VFIO runs in an unsafe mode (" + String.join(", ", on) + "): "
                        + "devices it hands to VMs are not confined by IOMMU remapping.",
                "Turn the switches off (options vfio enable_unsafe_noiommu_mode=0 and options vfio_iommu_type1 "
                        + "allow_unsafe_interrupts=0 in /etc/modprobe.d) and reload the modules.",
                evidence));
    }
}
