package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Side channel: no CPU flaw is left unmitigated. The kernel reports each in
 * {@code /sys/devices/system/cpu/vulnerabilities/NAME} as "Not affected", "Mitigation: …" or, when exposed,
 * "Vulnerable…", "KVM: Vulnerable" (itlb_multihit) or "Processor vulnerable" (some ARM flaws).
 */
public final class CpuVulnerabilitiesCheck implements PostureCheck {
    private static final Pattern VULNERABLE = Pattern.compile("^(KVM: )?Vulnerable|^Processor vulnerable");

    @Override
    public String id() {
        return "cpu-vulnerabilities";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        Map<String, String> all = host.vulnerabilities();
        if (all.isEmpty()) {
            return List.of();
        }
        Map<String, Object> vulnerable = new LinkedHashMap<>();
        all.forEach((name, status) -> {
            if (VULNERABLE.matcher(status).find()) {
                vulnerable.put(name, status);
            }
        });
        if (vulnerable.isEmpty()) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, "The kernel reports the CPU vulnerable to "
                        + String.join(", ", vulnerable.keySet()) + ": a guest may read host or other VMs' memory "
                        + "through them.",
                "Update the CPU microcode and the kernel, and remove mitigations=off and other mitigation-disabling "
                        + "options from the kernel command line.",
                vulnerable));
    }
}
