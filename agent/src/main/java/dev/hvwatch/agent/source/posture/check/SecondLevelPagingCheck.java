package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Map;

/**
 * HY-SR-2: guest memory is virtualised by the hardware's second-level page tables (Intel EPT, AMD NPT), not by shadow
 * page tables KVM keeps in software. On x86 the vendor module says: {@code kvm_intel.ept}, {@code kvm_amd.npt}. Another
 * vendor module (such as {@code kvm_pvm}, KVM without VT-x/AMD-V) has none; without a vendor module there is no x86
 * KVM to check.
 */
public final class SecondLevelPagingCheck implements PostureCheck {
    @Override
    public String id() {
        return "second-level-paging";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        List<String> vendors = host.list(host.sys("module")).stream().filter(m -> m.startsWith("kvm_")).toList();
        String module;
        String parameter;
        if (vendors.contains("kvm_intel")) {
            module = "kvm_intel";
            parameter = "ept";
        } else if (vendors.contains("kvm_amd")) {
            module = "kvm_amd";
            parameter = "npt";
        } else if (!vendors.isEmpty()) {
            return List.of(Outcome.fail(id(), null, "KVM runs through " + vendors.get(0) + ", without EPT or NPT: "
                            + "guest memory is isolated by shadow page tables in software.",
                    "Run VMs on a host with VT-x/EPT or AMD-V/NPT enabled in the firmware, with kvm_intel or kvm_amd.",
                    Map.of("module", vendors.get(0))));
        } else {
            return List.of();
        }
        String value = host.moduleParameter(module, parameter);
        if (HostView.isOn(value)) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, "KVM's second-level paging is off (" + module + "." + parameter + "="
                        + value + "): guest memory is isolated by shadow page tables in software.",
                "Enable it (" + module + "." + parameter + "=1 in /etc/modprobe.d, then reload " + module
                        + ") and check that the CPU and firmware offer it.",
                Map.of("module", module, "parameter", parameter, "value", String.valueOf(value))));
    }
}
