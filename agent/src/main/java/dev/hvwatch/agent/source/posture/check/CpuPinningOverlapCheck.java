package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * HY-SR-4, HY-SR-5 and a side channel: VMs pinned to CPUs share no core with a pinned VM of another owner. Pinning
 * is what an operator does to give a VM its own CPUs; two owners pinned to one core (or to SMT siblings of it) share
 * its time and its caches. A VM's CPUs are its vCPU threads' affinity, which is what libvirt's {@code <vcpupin>} and
 * taskset set; a VM allowed on every online CPU is not pinned and not judged here (cpu-limits covers it).
 *
 * <p>Owners: {@code posture.owners} (VM name globs), else the VM's OpenStack project in its libvirt metadata, else
 * the VM itself.
 */
public final class CpuPinningOverlapCheck implements PostureCheck {
    private final Map<String, List<Pattern>> owners = new LinkedHashMap<>();

    /** @param owners owner name to VM name globs ({@code *} and {@code ?}) */
    public CpuPinningOverlapCheck(Map<String, List<String>> owners) {
        owners.forEach((owner, globs) -> this.owners.put(owner, globs.stream().map(CpuPinningOverlapCheck::glob)
                .toList()));
    }

    @Override
    public String id() {
        return "cpu-pinning-overlap";
    }

    private record Pinned(Guest guest, String owner, CpuList cpus, CpuList cores) {
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        CpuList online = host.onlineCpus();
        List<Pinned> pinned = new ArrayList<>();
        for (Guest g : host.guests()) {
            try {
                CpuList cpus = g.vcpuAffinity().intersection(online);
                if (!cpus.equals(online)) {
                    CpuList cores = cpus;
                    for (int cpu : cpus.toArray()) {
                        cores = cores.union(host.core(cpu));
                    }
                    pinned.add(new Pinned(g, owner(g), cpus, cores));
                }
            } catch (UnreadableInput e) {
                problems.report(id(), e);
            }
        }
        List<Outcome> out = new ArrayList<>();
        for (Pinned p : pinned) {
            List<String> overlaps = new ArrayList<>();
            CpuList shared = CpuList.parse("");
            for (Pinned other : pinned) {
                CpuList common = p.cores().intersection(other.cores());
                if (other != p && !other.owner().equals(p.owner()) && !common.isEmpty()) {
                    overlaps.add("VM " + other.guest().name() + " of owner " + other.owner() + " (CPUs "
                            + other.cpus() + ")");
                    shared = shared.union(common);
                }
            }
            out.add(overlaps.isEmpty() ? Outcome.pass(id(), p.guest().vm()) : Outcome.fail(id(), p.guest().vm(),
                    "VM " + p.guest().name() + " of owner " + p.owner() + " is pinned to CPUs " + p.cpus()
                            + " and shares cores (CPUs " + shared + ") with " + String.join(", ", overlaps)
                            + ": their vCPUs compete for the same CPU time and caches.",
                    "Pin VMs of different owners to disjoint cores (libvirt <vcpupin>, taskset), or declare them "
                            + "one owner in posture.owners.",
                    Map.of("owner", p.owner(), "cpus", p.cpus().toString(), "shared_cpus", shared.toString())));
        }
        return out;
    }

    private String owner(Guest g) throws UnreadableInput {
        for (Map.Entry<String, List<Pattern>> o : owners.entrySet()) {
            if (o.getValue().stream().anyMatch(p -> p.matcher(g.name()).matches())) {
                return o.getKey();
            }
        }
        String project = g.libvirt().map(d -> d.owner()).orElse(null);
        return project != null ? "project " + project : "VM " + g.name();
    }

    private static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(Character.toString(c)));
        }
        return Pattern.compile(regex.toString());
    }
}
