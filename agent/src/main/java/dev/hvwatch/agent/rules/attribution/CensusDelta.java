package dev.hvwatch.agent.rules.attribution;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.census.CpuCensus;
import dev.hvwatch.agent.source.census.CpuCensus.ProcessTime;
import dev.hvwatch.agent.source.census.CpuCensus.VcpuTime;
import dev.hvwatch.agent.vm.Vm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What ran between two {@link CpuCensus censuses}: each CPU's busy time, each vCPU thread's run and wait, each VM's
 * other work (QEMU's own threads, vhost), and each host process's CPU time, with the CPUs each may run on. Only
 * threads and processes present in both count (a pid or vCPU thread reused in between is another one).
 *
 * <p>{@link #split} divides one vCPU's wait among the others: the CPU time of every competitor that could have run on
 * the victim's allowed CPUs S, grouped by VM, and the rest of those CPUs' busy time as the host's. A competitor
 * allowed on CPUs A counts with weight |S ∩ A| / |A|: the part of its time that fell on S if it spread evenly over A.
 * That is exact when A and S are disjoint (0), when A lies within S (1, identical affinities included), and an
 * estimate when they partly overlap: the kernel does not say on which CPU a thread's time was spent.
 */
final class CensusDelta {
    final long fromNanos;
    final long toNanos;
    private final long[] busy;
    final List<Thread> vcpus = new ArrayList<>();
    private final List<Work> vmWork = new ArrayList<>();
    private final List<Work> hostWork = new ArrayList<>();

    /** A vCPU thread's run and wait between the two censuses, and the CPUs it may run on at the second. */
    record Thread(Vm vm, int vcpu, long runNanos, long waitNanos, CpuList allowed) {
    }

    /** CPU time that is not a vCPU's: a VM's QEMU and vhost threads (vm set), or a host process (vm null). */
    private record Work(Vm vm, String name, long nanos, CpuList allowed) {
    }

    private CensusDelta(CpuCensus from, CpuCensus to) {
        fromNanos = from.timeNanos();
        toNanos = to.timeNanos();
        busy = new long[Math.min(from.busyNanos().length, to.busyNanos().length)];
        for (int c = 0; c < busy.length; c++) {
            busy[c] = Math.max(0, to.busyNanos()[c] - from.busyNanos()[c]);
        }
    }

    static CensusDelta between(CpuCensus from, CpuCensus to) {
        CensusDelta d = new CensusDelta(from, to);
        Map<VcpuKey, VcpuTime> before = new HashMap<>();
        from.vcpus().forEach(v -> before.put(new VcpuKey(v.vm(), v.vcpu(), v.tid()), v));
        Map<Vm, Long> vcpuRun = new IdentityHashMap<>();
        for (VcpuTime v : to.vcpus()) {
            VcpuTime b = before.get(new VcpuKey(v.vm(), v.vcpu(), v.tid()));
            if (b == null || v.runNanos() < b.runNanos() || v.waitNanos() < b.waitNanos()) {
                continue;
            }
            long run = v.runNanos() - b.runNanos();
            d.vcpus.add(new Thread(v.vm(), v.vcpu(), run, v.waitNanos() - b.waitNanos(), v.allowed()));
            vcpuRun.merge(v.vm(), run, Long::sum);
        }
        Map<Long, ProcessTime> processesBefore = new HashMap<>();
        from.processes().forEach(p -> processesBefore.put(p.pid(), p));
        for (ProcessTime p : to.processes()) {
            ProcessTime b = processesBefore.get(p.pid());
            if (b == null || b.startTicks() != p.startTicks() || p.cpuNanos() <= b.cpuNanos()) {
                continue;
            }
            long nanos = p.cpuNanos() - b.cpuNanos();
            if (p.vm() == null) {
                d.hostWork.add(new Work(null, p.name(), nanos, p.allowed()));
            } else {
                // QEMU's CPU time holds its vCPU threads' too (counted above from schedstat): the rest is its own.
                long own = p.pid() == p.vm().pid() ? nanos - vcpuRun.getOrDefault(p.vm(), 0L) : nanos;
                if (own > 0) {
                    d.vmWork.add(new Work(p.vm(), p.name(), own, p.allowed()));
                }
            }
        }
        return d;
    }

    long nanos() {
        return toNanos - fromNanos;
    }

    /** How the victim's wait divides among who ran on its CPUs meanwhile. */
    Split split(Thread victim) {
        CpuList s = victim.allowed();
        Map<Vm, Taken> byVm = new IdentityHashMap<>();
        for (Thread t : vcpus) {
            if (t != victim) {
                take(byVm, t.vm(), t.runNanos() * overlap(s, t.allowed()), t.allowed(), true);
            }
        }
        for (Work w : vmWork) {
            take(byVm, w.vm(), w.nanos() * overlap(s, w.allowed()), w.allowed(), false);
        }
        double vms = 0;
        for (Taken t : byVm.values()) {
            vms += t.nanos;
        }
        double busyOnS = 0;
        for (int c = 0; c < busy.length; c++) {
            if (s == null || s.contains(c)) {
                busyOnS += busy[c];
            }
        }
        // What the CPUs did beyond the victim and the VMs was the host's: named processes, and what no census sees
        // (processes that came and went in between, interrupts).
        double host = Math.max(0, busyOnS - victim.runNanos() - vms);
        Map<String, Double> processes = new HashMap<>();
        for (Work w : hostWork) {
            double n = w.nanos() * overlap(s, w.allowed());
            if (n > 0) {
                processes.merge(w.name(), n, Double::sum);
            }
        }
        return new Split(victim.waitNanos(), vms + host, byVm, host, processes);
    }

    private static void take(Map<Vm, Taken> byVm, Vm vm, double nanos, CpuList allowed, boolean vcpu) {
        if (nanos <= 0) {
            return;
        }
        Taken t = byVm.computeIfAbsent(vm, v -> new Taken());
        t.nanos += nanos;
        if (allowed != null) {
            if (vcpu) {
                t.vcpuCpus = t.vcpuCpus == null ? allowed : t.vcpuCpus.union(allowed);
            } else {
                t.otherCpus = t.otherCpus == null ? allowed : t.otherCpus.union(allowed);
            }
        }
    }

    /** |S ∩ A| / |A|; an unknown side is every CPU of the census. */
    private double overlap(CpuList s, CpuList a) {
        if (a == null || a.isEmpty()) {
            a = allCpus();
        }
        if (s == null || s.isEmpty()) {
            s = allCpus();
        }
        return (double) s.intersection(a).count() / a.count();
    }

    private CpuList allCpus() {
        return CpuList.parse(busy.length == 0 ? "0" : "0-" + (busy.length - 1));
    }

    /** CPU time a VM took from a victim, and the CPUs its contributing threads may run on. */
    static final class Taken {
        double nanos;
        private CpuList vcpuCpus;
        private CpuList otherCpus;

        /**
         * Where its contributing vCPU threads may run (what vcpupin, cpuset or taskset said), or where its other
         * threads may when only those took the CPU (QEMU's own, vhost); empty when unknown.
         */
        CpuList cpus() {
            CpuList c = vcpuCpus != null ? vcpuCpus : otherCpus;
            return c != null ? c : CpuList.parse("");
        }
    }

    /**
     * One victim's wait and the competitors' time on its CPUs: {@code total} is what they took together (the VMs'
     * and the host's), the part each took is its share of the victim's wait.
     */
    record Split(long waitNanos, double total, Map<Vm, Taken> byVm, double host, Map<String, Double> processes) {
    }

    private record VcpuKey(Vm vm, int vcpu, long tid) {
        @Override
        public boolean equals(Object o) {
            return o instanceof VcpuKey k && k.vm == vm && k.vcpu == vcpu && k.tid == tid;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(vm) * 31 * 31 + vcpu * 31 + Long.hashCode(tid);
        }
    }
}
