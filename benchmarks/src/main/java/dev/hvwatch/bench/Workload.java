package dev.hvwatch.bench;

import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.vm.Vm;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A host's worth of telemetry for the benchmarks: VMs with two vCPUs each, and per VM the series the sources publish
 * every round (exits by reason, exit tracepoints, KVM statistics), all created once, as the sources do.
 */
final class Workload {
    static final int SERIES_PER_VM = 30;

    final Vm[] vms;
    final Series[][] series;

    Workload(int vmCount) {
        vms = new Vm[vmCount];
        series = new Series[vmCount][SERIES_PER_VM];
        for (int v = 0; v < vmCount; v++) {
            vms[v] = new Vm(10_000 + v, 1, "vm-" + v, "uuid-" + v, 2, Optional.empty(), true, List.of());
            for (int s = 0; s < SERIES_PER_VM; s++) {
                String name = s < 10 ? "hvwatch.vm.exits" : s < 15 ? "hvwatch.kvm.tracepoint.events" : "hvwatch.kvm.stat" + s;
                Map<String, String> labels = s < 10 ? Map.of("reason", "R" + s)
                        : s < 15 ? Map.of("tracepoint", s == 10 ? "kvm_pio" : s == 11 ? "kvm_mmio" : "tp" + s) : Map.of();
                series[v][s] = new Series(name, "benchmark", null, true, labels);
            }
        }
    }
}
