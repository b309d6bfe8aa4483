package dev.hvwatch.agent.metrics;

import dev.hvwatch.agent.vm.Steal;
import dev.hvwatch.agent.vm.Vm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * How fairly the host shared its CPUs over the last {@link #WINDOW_NANOS} (like PSI's avg10), from the VMs' vCPU
 * run and wait times.
 * <ul>
 * <li>A VM's CPU share is its vCPUs' run time over the window's capacity (window × host CPUs):
 * {@code hvwatch_vm_cpu_share_ratio}. Its {@link Steal} is its vCPUs' wait over their run + wait:
 * {@code hvwatch_vm_steal_ratio}.
 * <li>Among the VMs that wanted CPU (runnable at least 5% of the window per vCPU) the CPU time they got together
 * is divided by entitlement: each VM's weight is its vCPU count times its cgroup CPU weight (100 = the default),
 * and no VM is entitled to more than it can use (its vCPUs) or than its cgroup CPU limit; what a capped VM cannot
 * take goes to the others in proportion to their weights (weighted max-min, "water filling"). The
 * entitlement-normalised share x = run / entitled run is {@code hvwatch_vm_cpu_entitlement_ratio} (1 = got its
 * entitlement). Jain's index (Σx)² / (n·Σx²) is 1 when every VM got exactly its entitlement and falls toward 1/n
 * as one takes all: {@code hvwatch_host_cpu_fairness_index}. Idle VMs are left out: wanting nothing, they are not
 * wronged. Nice values are not entitlement: they are how one VM takes from another.
 * </ul>
 * A window of several sampling rounds, not one round, because the kernel adds a waiting thread's delay to its
 * schedstat only when the thread next runs: a starved vCPU shows nothing for a whole round, then a lump.
 * Single writer: the metrics consumer's thread; the results are volatile for scrapes.
 */
final class Fairness {
    static final double MIN_DEMAND = 0.05;
    static final long WINDOW_NANOS = 10_000_000_000L;
    /** Rounds kept: enough for the window at sampling intervals down to 100 ms. */
    private static final int ROUNDS = 128;
    static final double DEFAULT_WEIGHT = 100;

    private final int hostCpus;
    private final Map<Vm, VmRound> vms = new IdentityHashMap<>();
    /** Round lengths, a ring indexed like every VmRound's; 0 marks a round not yet seen. */
    private final long[] roundNanos = new long[ROUNDS];
    private int head;
    private long lastTick = -1;
    private volatile double index = Double.NaN;

    Fairness(int hostCpus) {
        this.hostCpus = hostCpus;
    }

    /** A vCPU's cumulative times; the first reading of a vCPU only sets its baseline. */
    void onSchedstat(Vm vm, int vcpu, long runNanos, long waitNanos) {
        round(vm).add(vcpu, runNanos, waitNanos);
    }

    /** The VM's cgroup CPU weight (cgroup v2 scale, 100 = default). */
    void onWeight(Vm vm, double weight) {
        round(vm).weight = weight > 0 ? weight : DEFAULT_WEIGHT;
    }

    /** The VM's cgroup CPU limit in CPUs; +Inf for none. */
    void onLimit(Vm vm, double cpus) {
        round(vm).limitCpus = cpus > 0 && Double.isFinite(cpus) ? cpus : Double.NaN;
    }

    /** The VM's figures, which gauges may read from any thread. */
    VmRound round(Vm vm) {
        return vms.computeIfAbsent(vm, v -> new VmRound(Math.max(1, v.vcpus())));
    }

    void onVmStopped(Vm vm) {
        vms.remove(vm);
    }

    /** The end of a round: moves the window on by it and computes every figure over the window. */
    void onTick(long timeNanos) {
        long dt = lastTick < 0 ? -1 : timeNanos - lastTick;
        lastTick = timeNanos;
        if (dt <= 0) {
            vms.values().forEach(VmRound::reset);
            return;
        }
        head = (head + 1) % ROUNDS;
        roundNanos[head] = dt;
        int rounds = 0;
        long window = 0;
        while (rounds < ROUNDS && roundNanos[(head - rounds + ROUNDS) % ROUNDS] > 0 && window < WINDOW_NANOS) {
            window += roundNanos[(head - rounds + ROUNDS) % ROUNDS];
            rounds++;
        }
        List<VmRound> demanding = new ArrayList<>();
        for (VmRound r : vms.values()) {
            r.close(head, rounds);
            r.share = (double) r.windowRun / ((double) window * hostCpus);
            long busy = r.windowRun + r.windowWait;
            r.steal = Steal.ratio(r.windowRun, r.windowWait);
            if (busy >= MIN_DEMAND * window * r.vcpus) {
                demanding.add(r);
            } else {
                r.entitlement = Double.NaN;
            }
        }
        index = jain(entitle(demanding, window));
    }

    /** Sets each demanding VM's entitlement ratio; returns the ratios. */
    private static double[] entitle(List<VmRound> demanding, long window) {
        double total = 0;
        for (VmRound r : demanding) {
            total += r.windowRun;
        }
        double[] entitled = WaterFilling.allocate(total, demanding.stream().mapToDouble(VmRound::weight).toArray(),
                demanding.stream().mapToDouble(r -> r.capNanos(window)).toArray());
        double[] x = new double[demanding.size()];
        for (int i = 0; i < x.length; i++) {
            VmRound r = demanding.get(i);
            x[i] = entitled[i] > 0 ? r.windowRun / entitled[i] : Double.NaN;
            r.entitlement = x[i];
        }
        return x;
    }

    private static double jain(double[] x) {
        double sum = 0;
        double sumOfSquares = 0;
        int n = 0;
        for (double v : x) {
            if (!Double.isNaN(v)) {
                sum += v;
                sumOfSquares += v * v;
                n++;
            }
        }
        return n == 0 || sumOfSquares == 0 ? Double.NaN : sum * sum / (n * sumOfSquares);
    }

    double index() {
        return index;
    }

    /** One VM's run and wait time per round of the window, from its vCPUs' cumulative readings. */
    static final class VmRound {
        private final Map<Integer, long[]> lastByVcpu = new HashMap<>();
        private final long[] runByRound = new long[ROUNDS];
        private final long[] waitByRound = new long[ROUNDS];
        final int vcpus;
        long run;
        long wait;
        long windowRun;
        long windowWait;
        double weight = DEFAULT_WEIGHT;
        double limitCpus = Double.NaN;
        /** Over the window; NaN before the VM's first complete round. */
        volatile double share = Double.NaN;
        volatile double steal = Double.NaN;
        /** NaN while the VM wants no CPU. */
        volatile double entitlement = Double.NaN;

        VmRound(int vcpus) {
            this.vcpus = vcpus;
        }

        double share() {
            return share;
        }

        double steal() {
            return steal;
        }

        double entitlement() {
            return entitlement;
        }

        double weight() {
            return vcpus * weight / DEFAULT_WEIGHT;
        }

        double capNanos(long window) {
            double cpus = Double.isNaN(limitCpus) ? vcpus : Math.min(vcpus, limitCpus);
            return cpus * window;
        }

        void add(int vcpu, long runNanos, long waitNanos) {
            long[] last = lastByVcpu.get(vcpu);
            if (last == null) {
                lastByVcpu.put(vcpu, new long[] {runNanos, waitNanos});
                return;
            }
            if (runNanos >= last[0] && waitNanos >= last[1]) {
                run += runNanos - last[0];
                wait += waitNanos - last[1];
            }
            last[0] = runNanos;
            last[1] = waitNanos;
        }

        /** Files the round's time under {@code slot} and sums the window's last {@code rounds} rounds. */
        void close(int slot, int rounds) {
            runByRound[slot] = run;
            waitByRound[slot] = wait;
            reset();
            windowRun = 0;
            windowWait = 0;
            for (int i = 0; i < rounds; i++) {
                int s = (slot - i + ROUNDS) % ROUNDS;
                windowRun += runByRound[s];
                windowWait += waitByRound[s];
            }
        }

        void reset() {
            run = 0;
            wait = 0;
        }
    }
}
