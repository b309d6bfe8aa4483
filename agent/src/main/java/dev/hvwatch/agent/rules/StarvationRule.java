package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.alert.AlertFactory.Finding;
import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.alert.AlertSink;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.discovery.Vm;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.config.Durations;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * vCPU starvation (NIST SP 800-125A HY-SR-5: a VM must get its CPU floor). Over each sampling interval a vCPU's
 * wait share is wait / (run + wait): the part of its runnable time spent waiting for a host CPU. The alert fires
 * once the share has stayed at or above {@code fire} for {@code for}, and resolves when it falls below
 * {@code resolve}; between the two thresholds nothing changes (hysteresis), so a share hovering near one threshold
 * does not flap.
 *
 * <p>The kernel credits wait time when the thread is switched in, not while it waits: a thread that is runnable
 * but got no CPU at all during an interval shows no change. So when run + wait grew by less than
 * {@code minActivity} of the interval, the thread's state decides: still runnable means "no news yet" — the
 * interval is merged into the next one, whose reading will carry the wait; sleeping (a halted, idle guest) means
 * it has nothing to be starved of, and counts as share 0.
 *
 * <p>Single writer: only the rule-engine thread calls this class.
 */
public final class StarvationRule {
    public static final String ID = "vcpu-starvation";
    private static final String TITLE = "vCPU starved of host CPU";
    private static final List<String> NIST = List.of("HY-SR-5");

    private final AgentConfig.Starvation config;
    private final AlertFactory alerts;
    private final AlertSink sink;
    private final Map<Vm, VcpuState[]> states = new IdentityHashMap<>();

    public StarvationRule(AgentConfig.Starvation config, AlertFactory alerts, AlertSink sink) {
        this.config = config;
        this.alerts = alerts;
        this.sink = sink;
    }

    public Severity severity() {
        return Severity.HIGH;
    }

    /**
     * Cumulative run and wait nanoseconds of one vCPU thread, read at {@code timeNanos}; {@code runnable} is the
     * thread's state at that moment.
     */
    public void onSchedstat(Vm vm, int vcpu, long tid, long timeNanos, long runNanos, long waitNanos,
                            boolean runnable) {
        VcpuState s = state(vm, vcpu);
        if (!s.hasBaseline || runNanos < s.runNanos || waitNanos < s.waitNanos || timeNanos <= s.timeNanos) {
            s.rebase(timeNanos, runNanos, waitNanos); // first reading, or a new thread behind the same vCPU index
            return;
        }
        long dt = timeNanos - s.timeNanos;
        long dRun = runNanos - s.runNanos;
        long dWait = waitNanos - s.waitNanos;
        long accounted = dRun + dWait;
        boolean active = accounted >= config.minActivity() * dt;
        if (!active && runnable) {
            return; // waiting, but not yet credited: keep the baseline so the next reading covers this interval too
        }
        double share = active ? (double) dWait / accounted : 0.0;
        long intervalStart = s.timeNanos;
        s.rebase(timeNanos, runNanos, waitNanos);

        if (!s.firing) {
            if (share < config.fire()) {
                s.breachSince = -1;
                return;
            }
            if (s.breachSince < 0) {
                s.breachSince = intervalStart;
            }
            if (timeNanos - s.breachSince >= config.holdFor().toNanos()) {
                s.firing = true;
                sink.accept(alerts.create(firing(vm, vcpu, tid, share, dt, dRun, dWait, timeNanos - s.breachSince),
                        timeNanos));
            }
        } else if (share < config.resolve()) {
            s.firing = false;
            s.breachSince = -1;
            sink.accept(alerts.create(resolved(vm, vcpu, tid, share, dt, dRun, dWait,
                    String.format("vCPU %d of VM %s now waits %s of its runnable time, below %s: no longer starved",
                            vcpu, vm.describe(), percent(share), percent(config.resolve()))), timeNanos));
        }
    }

    /** A stopped VM cannot be starved any more: its firing alerts resolve, and its state is forgotten. */
    public void onVmStopped(Vm vm, long timeNanos) {
        VcpuState[] vcpus = states.remove(vm);
        if (vcpus == null) {
            return;
        }
        for (int vcpu = 0; vcpu < vcpus.length; vcpu++) {
            if (vcpus[vcpu] != null && vcpus[vcpu].firing) {
                Map<String, Object> evidence = new LinkedHashMap<>();
                evidence.put("reason", "vm_stopped");
                sink.accept(alerts.create(new Finding(ID, TITLE, severity(), Category.STARVATION, AlertState.RESOLVED,
                        vm, vcpu, NIST, evidence, "VM " + vm.describe() + " stopped: starvation of vCPU " + vcpu
                        + " resolved"), timeNanos));
            }
        }
    }

    private Finding firing(Vm vm, int vcpu, long tid, double share, long dt, long dRun, long dWait, long breachNanos) {
        Map<String, Object> evidence = evidence(tid, share, dt, dRun, dWait);
        evidence.put("breach_seconds", seconds(breachNanos));
        String message = String.format("vCPU %d of VM %s waited %s of its runnable time for a host CPU over the last "
                        + "%.1f s (threshold %s for %s)", vcpu, vm.describe(), percent(share), seconds(dt),
                percent(config.fire()), Durations.format(config.holdFor()));
        return new Finding(ID, TITLE, severity(), Category.STARVATION, AlertState.FIRING, vm, vcpu, NIST, evidence,
                message);
    }

    private Finding resolved(Vm vm, int vcpu, long tid, double share, long dt, long dRun, long dWait, String message) {
        return new Finding(ID, TITLE, severity(), Category.STARVATION, AlertState.RESOLVED, vm, vcpu, NIST,
                evidence(tid, share, dt, dRun, dWait), message);
    }

    private Map<String, Object> evidence(long tid, double share, long dt, long dRun, long dWait) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("wait_share", round(share));
        e.put("fire_threshold", config.fire());
        e.put("resolve_threshold", config.resolve());
        e.put("for_seconds", seconds(config.holdFor().toNanos()));
        e.put("interval_seconds", seconds(dt));
        e.put("run_seconds", seconds(dRun));
        e.put("wait_seconds", seconds(dWait));
        e.put("tid", tid);
        return e;
    }

    private VcpuState state(Vm vm, int vcpu) {
        VcpuState[] vcpus = states.get(vm);
        if (vcpus == null || vcpu >= vcpus.length) {
            vcpus = vcpus == null ? new VcpuState[Math.max(vm.vcpus(), vcpu + 1)] : Arrays.copyOf(vcpus, vcpu + 1);
            states.put(vm, vcpus);
        }
        if (vcpus[vcpu] == null) {
            vcpus[vcpu] = new VcpuState();
        }
        return vcpus[vcpu];
    }

    private static double seconds(long nanos) {
        return round(nanos / 1e9);
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    private static String percent(double share) {
        return String.format("%.0f%%", share * 100);
    }

    private static final class VcpuState {
        boolean hasBaseline;
        long timeNanos;
        long runNanos;
        long waitNanos;
        long breachSince = -1;
        boolean firing;

        void rebase(long time, long run, long wait) {
            hasBaseline = true;
            timeNanos = time;
            runNanos = run;
            waitNanos = wait;
        }
    }
}
