package dev.hvwatch.agent.rules;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.alert.AlertSink;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.rules.SubjectTable.Binding;
import dev.hvwatch.agent.rules.SubjectTable.VmSubjects;
import dev.hvwatch.agent.rules.attribution.Attribution;
import dev.hvwatch.agent.rules.expr.NeighbourQuery;
import dev.hvwatch.agent.rules.expr.Scope;
import dev.hvwatch.agent.rules.expr.Symbols;
import dev.hvwatch.agent.vm.Vm;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The ring consumer that evaluates the {@link RulePack}. Single writer: only the ring's rule thread touches rule
 * state; {@link #replace} hands over a new pack through a volatile field, swapped in at the next event.
 *
 * <p>Events update subjects' values (SCHEDSTAT the vCPU's wait share, SAMPLE the metrics rules read); at each TICK
 * (end of a sampling round) every vcpu, vm, host and device rule is evaluated for every subject, so a rule sees one
 * consistent round. Notice rules are evaluated when a matching notice arrives, and at each TICK for resolution.
 * Nothing is allocated per event in steady state except when an alert is raised, and while a rule's
 * {@code attribute_when} holds: {@link Attribution} then takes the censuses that name who took the CPU.
 *
 * <p>This class dispatches events; the subjects and how series feed them are the {@link SubjectTable}'s, what fires
 * and the alerts it raises the {@link FiringState}'s.
 */
public final class RuleEngine implements EventHandler<TelemetryEvent> {
    /** The evidence key of how many alerts of the same rule and VM the rate limit held back before this one. */
    public static final String HELD_BACK_EVIDENCE = "alerts_suppressed";

    private final int hostCpus;
    private final Attribution attribution;
    private final FiringState firing;
    private final SubjectTable subjects;
    private volatile RulePack next;

    /** @param hostCpus the host's CPU count, for entitlement (a VM's fair share of the host) */
    public RuleEngine(RulePack pack, AlertFactory alerts, AlertSink sink, int hostCpus) {
        this(pack, alerts, sink, hostCpus, firingNow -> { });
    }

    /**
     * @param onFiringChange told, on the engine's thread, what fires now after each event that changed it (alerts
     *                       raised or resolved, a rule reload): counts by rule, severity and VM, for
     *                       hvwatch_alerts_firing
     */
    public RuleEngine(RulePack pack, AlertFactory alerts, AlertSink sink, int hostCpus,
                      Consumer<Map<FiringAlert, Integer>> onFiringChange) {
        this(pack, alerts, sink, hostCpus, onFiringChange, Attribution.off());
    }

    /** @param attribution who names the CPU's takers in the alerts of rules with {@code attribute_when} */
    public RuleEngine(RulePack pack, AlertFactory alerts, AlertSink sink, int hostCpus,
                      Consumer<Map<FiringAlert, Integer>> onFiringChange, Attribution attribution) {
        this.hostCpus = hostCpus;
        this.attribution = attribution;
        this.firing = new FiringState(alerts, sink, onFiringChange, attribution);
        this.subjects = new SubjectTable(pack, alerts.agent(), firing);
        firing.configureAttribution(pack);
    }

    /** Hands a new rule pack to the engine thread; it takes effect at the next event. Any thread may call. */
    public void replace(RulePack newPack) {
        next = newPack;
    }

    /** What the rules' rate limits held back, for {@code hvwatch_alerts_suppressed_total}. */
    public AlertRateLimiter rateLimiter() {
        return firing.rateLimiter();
    }

    public RulePack pack() {
        RulePack pending = next;
        return pending != null ? pending : subjects.pack();
    }

    /** The ring's entry point; the {@code on…} methods below are the same steps for callers without a ring. */
    @Override
    public void onEvent(TelemetryEvent e, long sequence, boolean endOfBatch) {
        switch (e.kind()) {
            case SCHEDSTAT -> onSchedstat(e.vm(), e.vcpu(), e.timeNanos(), e.runNanos(), e.waitNanos(), e.runnable());
            case SAMPLE -> onSample(e.vm(), e.vcpu(), e.series(), e.value());
            case NOTICE -> onNotice(e.vm(), e.notice(), e.timeNanos());
            case TICK -> onTick(e.timeNanos());
            case VM_STOPPED -> onVmStopped(e.vm(), e.timeNanos());
            case VM_STARTED -> onVmStarted(e.vm());
        }
    }

    /** Subjects of notice rules the engine keeps; for tests that check it keeps nothing for VMs that are gone. */
    int noticeSubjects() {
        return subjects.noticeSubjects();
    }

    /** A VM appeared: its subjects exist from now on, so that its notices and series have somewhere to go. */
    public void onVmStarted(Vm vm) {
        swapIfReplaced();
        subjects.vm(vm);
    }

    public void onSchedstat(Vm vm, int vcpu, long time, long run, long wait, boolean runnable) {
        swapIfReplaced();
        VmSubjects v = subjects.vm(vm);
        Subject s = v.vcpu(vcpu);
        WaitShare share = v.share(vcpu);
        Symbols sym = subjects.symbols(Scope.VCPU);
        s.setNumber(sym.number("run_seconds"), run / 1e9);
        s.setNumber(sym.number("wait_seconds"), wait / 1e9);
        v.addTimes(vcpu, run, wait);
        if (share.update(time, run, wait, runnable)) {
            s.setNumber(sym.number("wait_share"), share.share());
            s.setNumber(sym.number("interval_seconds"), share.intervalSeconds());
        }
    }

    public void onSample(Vm vm, int vcpu, Series series, double value) {
        swapIfReplaced();
        Binding b = subjects.binding(series);
        boolean first = Double.isNaN(b.last);
        double delta = first ? value : value - b.last;
        b.last = value;
        if (vm == null) {
            SubjectTable.add(subjects.host(), b.hostSlots, value, delta, first);
            if (b.deviceSlots.length > 0) {
                SubjectTable.add(subjects.device(series.labels().get("device")), b.deviceSlots, value, delta, first);
            }
            if (b.isDrops) {
                firing.addDrops(delta);
            }
            return;
        }
        VmSubjects v = subjects.vm(vm);
        SubjectTable.add(v.vm, b.vmSlots, value, delta, first);
        if (vcpu >= 0) {
            SubjectTable.add(v.vcpu(vcpu), b.vcpuSlots, value, delta, first);
        }
    }

    public void onNotice(Vm vm, Notice notice, long time) {
        swapIfReplaced();
        for (CompiledRule rule : subjects.pack().rules(Scope.NOTICE)) {
            if (!rule.spec().match().equals(notice.type())) {
                continue;
            }
            Subject s = subjects.noticeSubject(rule, vm, notice);
            s.lastFacts = notice.facts();
            Symbols sym = rule.symbols();
            for (Map.Entry<String, Integer> slot : sym.stringSlots().entrySet()) {
                s.setString(slot.getValue(), SubjectTable.noticeField(slot.getKey(), vm, notice));
            }
            Object count = notice.facts().get("count");
            s.setNumber(sym.number("count"), count instanceof Number n ? n.doubleValue() : 1);
            sym.observe(s, time);
            s.quietUntil = Long.MIN_VALUE;
            evaluateNotice(rule, s, time);
        }
        firing.announceIfChanged();
    }

    /**
     * Evaluates a notice subject unless it is quiet. Between its notices a notice rule's inputs (the facts, counts and
     * windows its notices set) change only as its windows' oldest samples expire, so a subject neither pending nor at
     * such an expiry would evaluate as it did last time: a host with hundreds of posture and lifecycle alerts firing
     * for an hour does not re-evaluate each of them every round. A pending one is evaluated every round: its
     * {@code for} and inhibitions run on time.
     */
    private void evaluateNotice(CompiledRule rule, Subject s, long time) {
        if (time < s.quietUntil) {
            return;
        }
        firing.evaluate(rule, s, time, subjects.running());
        s.quietUntil = s.states[0].pendingSince >= 0 ? time : s.nextWindowChange();
    }

    public void onTick(long time) {
        swapIfReplaced();
        firing.noteDrops(time);
        int hostVcpus = 0;
        for (Vm vm : subjects.running()) {
            hostVcpus += vm.vcpus();
        }
        Symbols vmSymbols = subjects.symbols(Scope.VM);
        List<NeighbourQuery> neighbours = vmSymbols.neighbourQueries();
        for (VmSubjects v : subjects.vms()) {
            v.vm.setNumber(vmSymbols.number("host_cpus"), hostCpus);
            v.vm.setNumber(vmSymbols.number("host_vcpus"), hostVcpus);
            for (int i = 0; i < neighbours.size(); i++) {
                v.vm.setNumber(neighbours.get(i).slot(), attribution.neighboursSlowed(v.vm0, i));
            }
        }
        RulePack pack = subjects.pack();
        List<CompiledRule> vcpuRules = pack.rules(Scope.VCPU);
        List<CompiledRule> vmRules = pack.rules(Scope.VM);
        for (VmSubjects v : subjects.vms()) {
            for (Subject s : v.vcpus) {
                if (s != null) {
                    firing.evaluateAll(vcpuRules, s, time, subjects.running());
                }
            }
            firing.evaluateAll(vmRules, v.vm, time, subjects.running());
        }
        attribution.onTick(time, subjects.running());
        firing.evaluateAll(pack.rules(Scope.HOST), subjects.host(), time, subjects.running());
        List<CompiledRule> deviceRules = pack.rules(Scope.DEVICE);
        for (Subject d : subjects.devices()) {
            firing.evaluateAll(deviceRules, d, time, subjects.running());
        }
        subjects.tickAt(time);
        for (Map.Entry<CompiledRule, Map<String, Subject>> group : subjects.noticeGroups().entrySet()) {
            for (Iterator<Subject> it = group.getValue().values().iterator(); it.hasNext(); ) {
                Subject s = it.next();
                evaluateNotice(group.getKey(), s, time);
                // A notice can name a VM that has stopped already (its stop event, read after discovery saw it go):
                // once that alert resolved, nothing more will come for the VM.
                if (s.vm != null && !subjects.running().contains(s.vm) && !s.states[0].firing) {
                    it.remove();
                }
            }
        }
        firing.announceIfChanged();
    }

    /** A stopped VM cannot be starved or storm any more: its firing alerts resolve and its state is forgotten. */
    public void onVmStopped(Vm vm, long time) {
        swapIfReplaced();
        attribution.onVmStopped(vm);
        VmSubjects v = subjects.remove(vm);
        if (v == null) {
            return;
        }
        resolveAll(subjects.pack().rules(Scope.VM), v.vm, vm, time);
        for (Subject s : v.vcpus) {
            if (s != null) {
                resolveAll(subjects.pack().rules(Scope.VCPU), s, vm, time);
            }
        }
        for (Map.Entry<CompiledRule, Map<String, Subject>> group : subjects.noticeGroups().entrySet()) {
            group.getValue().values().removeIf(s -> {
                if (s.vm != vm) {
                    return false;
                }
                if (s.states[0].firing) {
                    firing.resolveStopped(group.getKey(), s, vm, time);
                }
                return true;
            });
        }
        firing.forget(vm);
        firing.announceIfChanged();
    }

    private void resolveAll(List<CompiledRule> rules, Subject s, Vm vm, long time) {
        for (CompiledRule rule : rules) {
            if (s.states[rule.index()].firing) {
                firing.resolveStopped(rule, s, vm, time);
            }
        }
    }

    /** At most once per event: a new pack gets fresh subjects, and keeps what was firing so it is not re-raised. */
    private void swapIfReplaced() {
        RulePack replacement = next;
        if (replacement == null) {
            return;
        }
        next = null;
        subjects.replace(replacement);
        firing.configureAttribution(replacement);
        firing.announceIfChanged();
    }
}
