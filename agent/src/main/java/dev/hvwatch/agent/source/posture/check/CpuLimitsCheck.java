package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * HY-SR-5: a VM's CPU use has a ceiling or a weight, so that the scheduler keeps it from taking its neighbours' share.
 * Either is set on one of the cgroups its vCPUs run in (cgroup v2 {@code cpu.max} other than {@code max …},
 * {@code cpu.weight} other than 100; v1 {@code cpu.cfs_quota_us} other than -1, {@code cpu.shares} other than 1024),
 * or in libvirt's {@code <cputune>}.
 */
public final class CpuLimitsCheck implements GuestCheck {
    /** File name to the value that means "no limit". */
    private static final Map<String, String> UNLIMITED = Map.of(
            "cpu.max", "max", "cpu.weight", "100", "cpu.cfs_quota_us", "-1", "cpu.shares", "1024");

    @Override
    public String id() {
        return "cpu-limits";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        if (guest.libvirt().map(d -> d.hasCpuTuning()).orElse(false)) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        List<Path> chain = guest.cgroupChain("cpu");
        for (Path dir : chain) {
            for (Map.Entry<String, String> file : UNLIMITED.entrySet()) {
                String value = host.read(dir.resolve(file.getKey()));
                if (value != null && !value.split("\\s+")[0].equals(file.getValue())) {
                    return Optional.of(Outcome.pass(id(), guest.vm()));
                }
            }
        }
        List<String> where = new ArrayList<>();
        chain.forEach(p -> where.add(p.toString()));
        return Optional.of(Outcome.fail(id(), guest.vm(), "VM " + guest.name() + "'s vCPUs run without a CPU "
                        + "ceiling or weight (cgroups: " + (where.isEmpty() ? "the root only" : String.join(", ", where))
                        + "): it can take CPU time from every other VM.",
                "Set a ceiling and a weight for the VM's cgroup (libvirt <cputune> quota and shares; systemd CPUQuota= "
                        + "and CPUWeight=; cgroup cpu.max and cpu.weight).",
                Map.of("cgroups", String.join(",", where))));
    }
}
