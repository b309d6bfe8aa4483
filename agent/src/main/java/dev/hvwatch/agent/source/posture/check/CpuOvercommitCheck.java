package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** HY-SR-4: the VMs' vCPUs, all together, fit on the host's online CPUs, up to a configured ratio. */
public final class CpuOvercommitCheck implements PostureCheck {
    private final double ratio;

    public CpuOvercommitCheck(double ratio) {
        this.ratio = ratio;
    }

    @Override
    public String id() {
        return "cpu-overcommit";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        int vcpus = host.guests().stream().mapToInt(g -> g.vm().vcpus()).sum();
        int cpus = host.onlineCpus().count();
        if (vcpus <= ratio * cpus) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, String.format(Locale.ROOT, "VMs have %d vCPUs on %d host CPUs "
                        + "(limit %.2g per CPU): their vCPUs wait for each other's CPU time.", vcpus, cpus, ratio),
                "Move VMs to other hosts or give them fewer vCPUs (posture.cpuOvercommitRatio sets the accepted "
                        + "ratio).",
                Map.of("vcpus", vcpus, "host_cpus", cpus, "ratio_limit", ratio)));
    }
}
