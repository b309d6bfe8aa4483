package dev.hvwatch.agent.source.census;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.vm.Vm;
import java.util.List;

/**
 * Who had the host's CPUs, as cumulative times read at one moment: each CPU's busy time, each VM's vCPU threads
 * (run, wait, allowed CPUs) and every process (CPU time, name, allowed CPUs). Two censuses give the CPU time each
 * of them took in between; {@code agent.rules.attribution} turns that into who took a starved vCPU's CPU.
 * Immutable once taken.
 *
 * @param timeNanos  the moment it stands for (the sampling round's time, nanoseconds since the epoch)
 * @param busyNanos  per CPU (index = CPU number), time spent running anything: user, nice, system, irq, softirq
 *                   (guest time is part of user); not idle, I/O wait, or steal by a hypervisor below this host
 */
public record CpuCensus(long timeNanos, long[] busyNanos, List<VcpuTime> vcpus, List<ProcessTime> processes) {

    public CpuCensus {
        vcpus = List.copyOf(vcpus);
        processes = List.copyOf(processes);
    }

    /**
     * One vCPU thread of a watched VM.
     *
     * @param tid      the thread id: a different thread behind the same vCPU index is not the same thread
     * @param allowed  the CPUs it may run on ({@code Cpus_allowed_list}: taskset, libvirt's vcpupin or cpuset)
     */
    public record VcpuTime(Vm vm, int vcpu, long tid, long runNanos, long waitNanos, CpuList allowed) {
    }

    /**
     * One process: its threads' CPU time together, live and exited.
     *
     * @param startTicks when it started (field 22 of {@code stat}): a reused pid is another process
     * @param name       its command name, made safe to show (see {@link ProcessName})
     * @param vm         the VM it works for: its QEMU process, or a {@code vhost-PID} kernel thread of that QEMU;
     *                   null for the host's own processes
     * @param allowed    the CPUs its main thread may run on; null when not read (the process took no CPU since the
     *                   census before, so nothing will be attributed to it)
     */
    public record ProcessTime(long pid, long startTicks, String name, long cpuNanos, Vm vm, CpuList allowed) {
    }
}
