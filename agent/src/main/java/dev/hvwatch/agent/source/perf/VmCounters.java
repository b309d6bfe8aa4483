package dev.hvwatch.agent.source.perf;

import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.vm.Vm;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/** The counters of one VM's vCPUs, and what vCPUs that went away (hot-unplug) had counted. */
public final class VmCounters {
    private final Vm vm;
    private final Map<Integer, VcpuCounters> vcpus = new TreeMap<>();
    private final long[] goneVcpus;
    private Series[] series;
    long seenInRound;

    VmCounters(Vm vm, int slots) {
        this.vm = vm;
        this.goneVcpus = new long[slots];
    }

    public Vm vm() {
        return vm;
    }

    public Collection<VcpuCounters> vcpus() {
        return Collections.unmodifiableCollection(vcpus.values());
    }

    /** Writes the VM's total of every slot, over all its vCPUs past and present, into {@code totals}. */
    public void totals(long[] totals) {
        System.arraycopy(goneVcpus, 0, totals, 0, goneVcpus.length);
        for (VcpuCounters v : vcpus.values()) {
            for (int slot = 0; slot < goneVcpus.length; slot++) {
                totals[slot] += v.count(slot);
            }
        }
    }

    /** The VM-wide series a slot is published as, created by {@code create} on first use and kept with the VM. */
    public Series series(int slot, IntFunction<Series> create) {
        if (series == null) {
            series = new Series[goneVcpus.length];
        }
        if (series[slot] == null) {
            series[slot] = create.apply(slot);
        }
        return series[slot];
    }

    Map<Integer, VcpuCounters> vcpuMap() {
        return vcpus;
    }

    /** Keeps a removed vCPU's counts in the VM's totals. */
    void addGone(VcpuCounters gone) {
        for (int slot = 0; slot < goneVcpus.length; slot++) {
            goneVcpus[slot] += gone.count(slot);
        }
    }
}
