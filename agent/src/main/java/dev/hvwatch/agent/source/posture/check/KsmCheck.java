package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Map;

/**
 * HY-SR-3 and a side channel: kernel same-page merging ({@code /sys/kernel/mm/ksm/run}: 0 stopped, 1 merging,
 * 2 unmerging) overcommits memory by sharing equal pages between VMs, and a write to a merged page takes measurably
 * longer, which tells one VM what another holds in memory.
 */
public final class KsmCheck implements PostureCheck {
    @Override
    public String id() {
        return "ksm";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        String run = host.read(host.sys("kernel/mm/ksm/run"));
        if (!"1".equals(run)) {
            return List.of(Outcome.pass(id(), null));
        }
        String sharing = host.read(host.sys("kernel/mm/ksm/pages_sharing"));
        return List.of(Outcome.fail(id(), null, "Kernel same-page merging is on (/sys/kernel/mm/ksm/run=1, "
                        + (sharing == null ? "?" : sharing) + " pages sharing): it overcommits memory and lets one VM "
                        + "learn another's memory contents by timing writes.",
                "Turn it off (echo 2 > /sys/kernel/mm/ksm/run; disable ksm.service and ksmtuned), or keep merging "
                        + "within one owner's VMs.",
                Map.of("ksm_run", run, "pages_sharing", sharing == null ? "?" : sharing)));
    }
}
