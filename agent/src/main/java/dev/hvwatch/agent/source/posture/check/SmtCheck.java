package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Map;

/**
 * Side channel: SMT is off ({@code /sys/devices/system/cpu/smt/control}: on, off, forceoff, notsupported,
 * notimplemented). Sibling threads share a core's caches and buffers, so VMs on siblings of one core can observe each
 * other; several CPU flaws are exploitable only across siblings (their vulnerability files say "SMT vulnerable").
 */
public final class SmtCheck implements PostureCheck {
    @Override
    public String id() {
        return "smt";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        String control = host.read(host.sys("devices/system/cpu/smt/control"));
        if (control == null) {
            return List.of();
        }
        if (!control.equals("on")) {
            return List.of(Outcome.pass(id(), null));
        }
        List<String> smtFlaws = host.vulnerabilities().entrySet().stream()
                .filter(v -> v.getValue().contains("SMT vulnerable")).map(Map.Entry::getKey).toList();
        return List.of(Outcome.fail(id(), null, "SMT is on (/sys/devices/system/cpu/smt/control=on): VMs on sibling "
                        + "threads of one core share its caches and buffers"
                        + (smtFlaws.isEmpty() ? "" : ", and the CPU is SMT-vulnerable to " + String.join(", ", smtFlaws))
                        + ".",
                "Turn SMT off (nosmt on the kernel command line, or echo off > /sys/devices/system/cpu/smt/control), "
                        + "or pin each owner's VMs to whole cores.",
                Map.of("smt_control", control, "smt_vulnerable", String.join(",", smtFlaws))));
    }
}
