package dev.hvwatch.agent.source.posture;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.posture.check.MemoryOvercommitCheck;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The sizes capacity planners divide by each other, published with each posture run from what the overcommit checks
 * read: the host's online CPUs and RAM, each VM's vCPUs and RAM. Overcommit ratios are then
 * {@code sum(hvwatch_vm_vcpus) / hvwatch_host_cpus} and the like (the dashboards' recording rules).
 */
final class Capacity {
    private final EventRing ring;
    private final Series hostCpus = new Series("hvwatch.host.cpus", "The host's online CPUs", null, false, Map.of());
    private final Series hostMemory = new Series("hvwatch.host.memory", "The host's RAM (MemTotal)", "bytes", false,
            Map.of());
    private final Map<Vm, Series[]> vmSeries = new IdentityHashMap<>();

    Capacity(EventRing ring) {
        this.ring = ring;
    }

    /** Publishes what can be read; a size that cannot be read is reported to {@code problems} like a check's input. */
    void publish(long nowNanos, HostView host, Problems problems) {
        vmSeries.keySet().retainAll(Set.copyOf(host.guests().stream().map(Guest::vm).toList()));
        try {
            ring.publishSample(nowNanos, null, -1, hostCpus, host.onlineCpus().count());
            ring.publishSample(nowNanos, null, -1, hostMemory, host.memTotalBytes());
        } catch (UnreadableInput e) {
            problems.report("capacity", e);
        }
        for (Guest g : host.guests()) {
            Series[] s = vmSeries.computeIfAbsent(g.vm(), vm -> new Series[] {
                new Series("hvwatch.vm.vcpus", "The VM's vCPUs", null, false, Map.of()),
                new Series("hvwatch.vm.memory", "The VM's RAM as given to QEMU (-m)", "bytes", false, Map.of())});
            ring.publishSample(nowNanos, g.vm(), -1, s[0], g.vm().vcpus());
            try {
                ring.publishSample(nowNanos, g.vm(), -1, s[1], MemoryOvercommitCheck.ramBytes(g));
            } catch (UnreadableInput e) {
                problems.report("capacity", e);
            }
        }
    }
}
