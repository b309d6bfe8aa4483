package dev.hvwatch.agent.metrics;

import dev.hvwatch.agent.source.discovery.Vm;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * How fairly the host shared its CPUs in the last sampling round, from the VMs' vCPU run and wait times.
 * <ul>
 * <li>A VM's CPU share is its vCPUs' run time over the round's capacity (round length × host CPUs):
 * {@code hvwatch_vm_cpu_share_ratio}.
 * <li>Among the VMs that wanted CPU (runnable at least 5% of the round per vCPU), each is entitled to its vCPUs'
 * part of all their vCPUs; its entitlement-normalised share x = (its part of their run time) / (its entitlement).
 * Jain's index (Σx)² / (n·Σx²) is 1 when every VM got exactly its entitlement and falls toward 1/n as one takes
 * all: {@code hvwatch_host_cpu_fairness_index}. Idle VMs are left out: wanting nothing, they are not wronged.
 * </ul>
 * Single writer: the metrics consumer's thread; the results are volatile for scrapes.
 */
final class Fairness {
    static final double MIN_DEMAND = 0.05;

    private final int hostCpus;
    private final Map<Vm, VmRound> vms = new IdentityHashMap<>();
    private long lastTick = -1;
    private volatile double index = Double.NaN;

    Fairness(int hostCpus) {
        this.hostCpus = hostCpus;
    }

    /** A vCPU's cumulative times; the first reading of a vCPU only sets its baseline. */
    void onSchedstat(Vm vm, int vcpu, long runNanos, long waitNanos) {
        round(vm).add(vcpu, runNanos, waitNanos);
    }

    /** The VM's round, whose {@link VmRound#share} a gauge may read from any thread. */
    VmRound round(Vm vm) {
        return vms.computeIfAbsent(vm, v -> new VmRound());
    }

    void onVmStopped(Vm vm) {
        vms.remove(vm);
    }

    /** The end of a round: computes shares and the index over what the round's readings added. */
    void onTick(long timeNanos) {
        long dt = lastTick < 0 ? -1 : timeNanos - lastTick;
        lastTick = timeNanos;
        if (dt <= 0) {
            vms.values().forEach(VmRound::reset);
            return;
        }
        long demandingRun = 0;
        int demandingVcpus = 0;
        for (Map.Entry<Vm, VmRound> e : vms.entrySet()) {
            VmRound r = e.getValue();
            r.share = (double) r.run / ((double) dt * hostCpus);
            r.demanding = r.run + r.wait >= MIN_DEMAND * dt * Math.max(1, e.getKey().vcpus());
            if (r.demanding) {
                demandingRun += r.run;
                demandingVcpus += Math.max(1, e.getKey().vcpus());
            }
        }
        double sum = 0;
        double sumOfSquares = 0;
        int n = 0;
        for (Map.Entry<Vm, VmRound> e : vms.entrySet()) {
            VmRound r = e.getValue();
            if (r.demanding && demandingRun > 0) {
                double entitlement = (double) Math.max(1, e.getKey().vcpus()) / demandingVcpus;
                double x = ((double) r.run / demandingRun) / entitlement;
                sum += x;
                sumOfSquares += x * x;
                n++;
            }
            r.reset();
        }
        index = n == 0 || sumOfSquares == 0 ? Double.NaN : sum * sum / (n * sumOfSquares);
    }

    double index() {
        return index;
    }

    /** One VM's run and wait time added in the current round, from its vCPUs' cumulative readings. */
    static final class VmRound {
        private final Map<Integer, long[]> lastByVcpu = new HashMap<>();
        long run;
        long wait;
        boolean demanding;
        /** The VM's share of the host's CPU capacity in the last round; NaN before its first complete round. */
        volatile double share = Double.NaN;

        double share() {
            return share;
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

        void reset() {
            run = 0;
            wait = 0;
        }
    }
}
