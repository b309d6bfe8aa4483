package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.census.CensusTaker;
import dev.hvwatch.agent.source.census.CpuCensus;
import dev.hvwatch.agent.source.census.CpuCensus.ProcessTime;
import dev.hvwatch.agent.source.census.CpuCensus.VcpuTime;
import dev.hvwatch.agent.vm.Vm;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host a rule test describes, as censuses: the vCPUs its input feeds (on the CPUs their VM declares) and its
 * host processes. Each thread's run time is spread evenly over its allowed CPUs to make their busy time, which is
 * what attribution assumes of partly overlapping affinities; with pinned threads it is exact.
 */
final class SyntheticHost implements CensusTaker {
    private final int cpus;
    private final Map<Vm, CpuList> vmCpus = new HashMap<>();
    private final Map<Vm, Map<Integer, long[]>> vcpus = new LinkedHashMap<>();
    private final Map<String, Process> processes = new LinkedHashMap<>();

    private static final class Process {
        final long pid;
        final CpuList cpus;
        long runNanos;

        Process(long pid, CpuList cpus) {
            this.pid = pid;
            this.cpus = cpus;
        }
    }

    SyntheticHost(int cpus) {
        this.cpus = cpus;
    }

    CpuList allCpus() {
        return CpuList.parse("0-" + (cpus - 1));
    }

    void vm(Vm vm, CpuList allowed) {
        vmCpus.put(vm, allowed);
    }

    /** A vCPU's cumulative run and wait, as its schedstat says. */
    void vcpu(Vm vm, int vcpu, long runNanos, long waitNanos) {
        vcpus.computeIfAbsent(vm, v -> new LinkedHashMap<>()).put(vcpu, new long[] {runNanos, waitNanos});
    }

    void process(String name, CpuList allowed) {
        processes.putIfAbsent(name, new Process(100_000 + processes.size(), allowed));
    }

    void processRan(String name, long nanos) {
        processes.get(name).runNanos += nanos;
    }

    @Override
    public CpuCensus take(long timeNanos, Collection<Vm> watched) {
        long[] busy = new long[cpus];
        List<VcpuTime> threads = new ArrayList<>();
        List<ProcessTime> procs = new ArrayList<>();
        vcpus.forEach((vm, byIndex) -> {
            CpuList allowed = vmCpus.get(vm);
            long total = 0;
            for (Map.Entry<Integer, long[]> v : byIndex.entrySet()) {
                long[] t = v.getValue();
                threads.add(new VcpuTime(vm, v.getKey(), vm.pid() * 100 + v.getKey(), t[0], t[1], allowed));
                spread(busy, allowed, t[0]);
                total += t[0];
            }
            procs.add(new ProcessTime(vm.pid(), vm.startTicks(), "qemu-system-x86", total, vm, allowed));
        });
        processes.forEach((name, p) -> {
            spread(busy, p.cpus, p.runNanos);
            procs.add(new ProcessTime(p.pid, 1, name, p.runNanos, null, p.cpus));
        });
        return new CpuCensus(timeNanos, busy, threads, procs);
    }

    private static void spread(long[] busy, CpuList allowed, long nanos) {
        int[] on = allowed.toArray();
        for (int c : on) {
            if (c < busy.length) {
                busy[c] += nanos / on.length;
            }
        }
    }
}
