package dev.hvwatch.agent.rules;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.alert.AlertFactory.Finding;
import dev.hvwatch.agent.alert.AlertSink;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.rules.attribution.Attribution;
import dev.hvwatch.agent.rules.attribution.Explanation;
import dev.hvwatch.agent.rules.expr.MetricRef;
import dev.hvwatch.agent.rules.expr.NeighbourQuery;
import dev.hvwatch.agent.rules.expr.NumNode;
import dev.hvwatch.agent.rules.expr.Scope;
import dev.hvwatch.agent.rules.expr.Symbols;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.config.Durations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 */
public final class RuleEngine implements EventHandler<TelemetryEvent> {
    private static final long DROP_MEMORY_NANOS = 60_000_000_000L;
    /** The evidence key of how many alerts of the same rule and VM the rate limit held back before this one. */
    public static final String HELD_BACK_EVIDENCE = "alerts_suppressed";
    private static final String DROPS_METRIC = "hvwatch_events_dropped_total";

    private final AlertFactory alerts;
    private final AlertSink sink;
    private final AlertRateLimiter limiter = new AlertRateLimiter();
    private final int hostCpus;
    private volatile RulePack next;
    private RulePack pack;

    private final Map<Vm, VmSubjects> vms = new IdentityHashMap<>();
    private final Map<Series, Binding> bindings = new IdentityHashMap<>();
    private Subject host;
    /** Device subjects by the {@code device} label of the host-wide series device rules read. */
    private final Map<String, Subject> devices = new LinkedHashMap<>();
    /** Devices seen since the engine started, across rule reloads: only a device new to it counts from 0. */
    private final Set<String> devicesSeen = new HashSet<>();
    private long lastTick = Long.MIN_VALUE;
    private final Map<CompiledRule, Map<String, Subject>> noticeGroups = new IdentityHashMap<>();
    private final Map<String, Integer> firing = new HashMap<>();
    /** What is firing by rule, severity and VM; each change is handed to {@link #onFiringChange}. */
    private final Map<FiringAlert, Integer> firingByLabels = new HashMap<>();
    private final Consumer<Map<FiringAlert, Integer>> onFiringChange;
    private final Attribution attribution;
    /** Subject key → rule ids firing before a reload, so that a reload raises no second alert for them. */
    private final Map<String, Set<String>> carriedFiring = new HashMap<>();
    private double dropsTotal;
    private double dropsAtLastCheck;
    private long lastDropNanos = Long.MIN_VALUE;
    private long droppedInLastMinute;

    /** @param hostCpus the host's CPU count, for entitlement (a VM's fair share of the host) */
    public RuleEngine(RulePack pack, AlertFactory alerts, AlertSink sink, int hostCpus) {
        this(pack, alerts, sink, hostCpus, firingNow -> { });
    }

    /**
     * @param onFiringChange told, on the engine's thread, what fires now after every change (an alert raised or
     *                       resolved, a rule reload): counts by rule, severity and VM, for hvwatch_alerts_firing
     */
    public RuleEngine(RulePack pack, AlertFactory alerts, AlertSink sink, int hostCpus,
                      Consumer<Map<FiringAlert, Integer>> onFiringChange) {
        this(pack, alerts, sink, hostCpus, onFiringChange, Attribution.off());
    }

    /** @param attribution who names the CPU's takers in the alerts of rules with {@code attribute_when} */
    public RuleEngine(RulePack pack, AlertFactory alerts, AlertSink sink, int hostCpus,
                      Consumer<Map<FiringAlert, Integer>> onFiringChange, Attribution attribution) {
        this.pack = pack;
        this.alerts = alerts;
        this.sink = sink;
        this.hostCpus = hostCpus;
        this.onFiringChange = onFiringChange;
        this.attribution = attribution;
        this.host = newHost();
        configureAttribution();
    }

    /** Hands a new rule pack to the engine thread; it takes effect at the next event. Any thread may call. */
    public void replace(RulePack newPack) {
        next = newPack;
    }

    /** What the rules' rate limits held back, for {@code hvwatch_alerts_suppressed_total}. */
    public AlertRateLimiter rateLimiter() {
        return limiter;
    }

    public RulePack pack() {
        RulePack pending = next;
        return pending != null ? pending : pack;
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
        return noticeGroups.values().stream().mapToInt(Map::size).sum();
    }

    /** A VM appeared: its subjects exist from now on, so that its notices and series have somewhere to go. */
    public void onVmStarted(Vm vm) {
        swapIfReplaced();
        vm(vm);
    }

    public void onSchedstat(Vm vm, int vcpu, long time, long run, long wait, boolean runnable) {
        swapIfReplaced();
        VmSubjects v = vm(vm);
        Subject s = v.vcpu(vcpu);
        WaitShare share = v.share(vcpu);
        Symbols sym = symbols(Scope.VCPU);
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
        Binding b = bindings.get(series);
        if (b == null) {
            b = bind(series);
            bindings.put(series, b);
        }
        boolean first = Double.isNaN(b.last);
        double delta = first ? value : value - b.last;
        b.last = value;
        if (vm == null) {
            add(host, b.hostSlots, value, delta, first);
            if (b.deviceSlots.length > 0) {
                add(device(series.labels().get("device")), b.deviceSlots, value, delta, first);
            }
            if (b.isDrops) {
                dropsTotal += delta;
            }
            return;
        }
        VmSubjects v = vm(vm);
        add(v.vm, b.vmSlots, value, delta, first);
        if (vcpu >= 0) {
            add(v.vcpu(vcpu), b.vcpuSlots, value, delta, first);
        }
    }

    public void onNotice(Vm vm, Notice notice, long time) {
        swapIfReplaced();
        for (CompiledRule rule : pack.rules(Scope.NOTICE)) {
            if (!rule.spec().match().equals(notice.type())) {
                continue;
            }
            Subject s = noticeSubject(rule, vm, notice);
            s.lastFacts = notice.facts();
            Symbols sym = rule.symbols();
            for (Map.Entry<String, Integer> slot : sym.stringSlots().entrySet()) {
                s.setString(slot.getValue(), noticeField(slot.getKey(), vm, notice));
            }
            Object count = notice.facts().get("count");
            s.setNumber(sym.number("count"), count instanceof Number n ? n.doubleValue() : 1);
            sym.observe(s, time);
            evaluate(rule, s, time);
        }
    }

    public void onTick(long time) {
        swapIfReplaced();
        noteDrops(time);
        int hostVcpus = 0;
        for (Vm vm : vms.keySet()) {
            hostVcpus += vm.vcpus();
        }
        Symbols vmSymbols = symbols(Scope.VM);
        List<NeighbourQuery> neighbours = vmSymbols.neighbourQueries();
        for (VmSubjects v : vms.values()) {
            v.vm.setNumber(vmSymbols.number("host_cpus"), hostCpus);
            v.vm.setNumber(vmSymbols.number("host_vcpus"), hostVcpus);
            for (int i = 0; i < neighbours.size(); i++) {
                v.vm.setNumber(neighbours.get(i).slot(), attribution.neighboursSlowed(v.vm0, i));
            }
        }
        List<CompiledRule> vcpuRules = pack.rules(Scope.VCPU);
        List<CompiledRule> vmRules = pack.rules(Scope.VM);
        for (VmSubjects v : vms.values()) {
            for (Subject s : v.vcpus) {
                if (s != null) {
                    evaluateAll(vcpuRules, s, time);
                }
            }
            evaluateAll(vmRules, v.vm, time);
        }
        attribution.onTick(time, vms.keySet());
        evaluateAll(pack.rules(Scope.HOST), host, time);
        List<CompiledRule> deviceRules = pack.rules(Scope.DEVICE);
        for (Subject d : devices.values()) {
            evaluateAll(deviceRules, d, time);
        }
        lastTick = time;
        for (Map.Entry<CompiledRule, Map<String, Subject>> group : noticeGroups.entrySet()) {
            for (Iterator<Subject> it = group.getValue().values().iterator(); it.hasNext(); ) {
                Subject s = it.next();
                evaluate(group.getKey(), s, time);
                // A notice can name a VM that has stopped already (its stop event, read after discovery saw it go):
                // once that alert resolved, nothing more will come for the VM.
                if (s.vm != null && !vms.containsKey(s.vm) && !s.states[0].firing) {
                    it.remove();
                }
            }
        }
    }

    /** A stopped VM cannot be starved or storm any more: its firing alerts resolve and its state is forgotten. */
    public void onVmStopped(Vm vm, long time) {
        swapIfReplaced();
        attribution.onVmStopped(vm);
        VmSubjects v = vms.remove(vm);
        if (v == null) {
            return;
        }
        List<Subject> gone = new ArrayList<>();
        gone.add(v.vm);
        Arrays.stream(v.vcpus).filter(s -> s != null).forEach(gone::add);
        for (Subject s : gone) {
            List<CompiledRule> rules = pack.rules(s.vcpu >= 0 ? Scope.VCPU : Scope.VM);
            for (CompiledRule rule : rules) {
                if (s.states[rule.index()].firing) {
                    resolve(rule, s, time, "VM " + vm.describe() + " stopped: " + rule.spec().title() + " resolved",
                            Map.of("reason", "vm_stopped"));
                }
            }
        }
        for (Map.Entry<CompiledRule, Map<String, Subject>> group : noticeGroups.entrySet()) {
            group.getValue().values().removeIf(s -> {
                if (s.vm != vm) {
                    return false;
                }
                if (s.states[0].firing) {
                    resolve(group.getKey(), s, time, "VM " + vm.describe() + " stopped: "
                            + group.getKey().spec().title() + " resolved", Map.of("reason", "vm_stopped"));
                }
                return true;
            });
        }
        limiter.forget(vmKey(vm));
    }

    private void evaluateAll(List<CompiledRule> rules, Subject s, long now) {
        if (rules.isEmpty()) {
            return;
        }
        rules.get(0).symbols().observe(s, now);
        for (int i = 0; i < rules.size(); i++) {
            evaluate(rules.get(i), s, now);
        }
    }

    private void evaluate(CompiledRule rule, Subject s, long now) {
        Subject.RuleState state = s.states[rule.index()];
        if (rule.attributeWhen() != null && isTrue(rule.attributeWhen().eval(s, now))) {
            attribution.arm(now);
        }
        double condition = rule.condition().eval(s, now);
        if (!state.firing) {
            if (!isTrue(condition)) {
                state.pendingSince = -1;
                return;
            }
            if (state.pendingSince < 0) {
                state.pendingSince = now;
            }
            if (now - state.pendingSince >= rule.holdForNanos() && !inhibited(rule)) {
                markFiring(rule, s);
                Map<String, Object> named = whoTookTheCpu(rule, s, now);
                raise(rule, s, now, AlertState.FIRING, rule.message().render(s, now), named);
                if (s.antagonistsSlot >= 0) {
                    s.setString(s.antagonistsSlot, ""); // the resolution's message says nothing of it
                }
            }
        } else {
            double resolved = rule.resolve() != null ? rule.resolve().eval(s, now) : notTrue(condition);
            if (isTrue(resolved)) {
                String message = rule.spec().resolveMessage() != null ? rule.resolveMessage().render(s, now)
                        : "Resolved: " + rule.message().render(s, now);
                resolve(rule, s, now, message, Map.of());
            }
        }
    }

    /**
     * The evidence of who took the CPU: for a rule with {@code attribute_when}, the victim's antagonists (and the
     * message's clause, through the subject's {@code antagonists} string); for a rule counting
     * {@code neighbours_slowed}, the VMs it counts.
     */
    private Map<String, Object> whoTookTheCpu(CompiledRule rule, Subject s, long now) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (rule.attributeWhen() != null && s.vm != null) {
            Explanation x = attribution.explain(s.vm, s.vcpu, rule.holdForNanos(), now, vms.keySet());
            if (x != null) {
                out.putAll(x.evidence());
                s.setString(s.antagonistsSlot, x.clause());
            }
        }
        if (rule.neighbourQuery() >= 0 && s.vm != null) {
            out.put("slowed", attribution.slowedEvidence(s.vm, rule.neighbourQuery(), now));
        }
        return out;
    }

    private void markFiring(CompiledRule rule, Subject s) {
        s.states[rule.index()].firing = true;
        firing.merge(rule.id(), 1, Integer::sum);
        countFiring(rule, s, 1);
    }

    private void resolve(CompiledRule rule, Subject s, long now, String message, Map<String, Object> extra) {
        Subject.RuleState state = s.states[rule.index()];
        state.firing = false;
        state.pendingSince = -1;
        firing.merge(rule.id(), -1, Integer::sum);
        countFiring(rule, s, -1);
        raise(rule, s, now, AlertState.RESOLVED, message, extra);
    }

    private void countFiring(CompiledRule rule, Subject s, int change) {
        FiringAlert key = new FiringAlert(rule.id(), rule.spec().severity().wireName(),
                s.vm == null ? "" : s.vm.name());
        firingByLabels.merge(key, change, (was, by) -> was + by == 0 ? null : was + by);
        onFiringChange.accept(Map.copyOf(firingByLabels));
    }

    private boolean inhibited(CompiledRule rule) {
        for (String other : rule.spec().inhibitedBy()) {
            if (firing.getOrDefault(other, 0) > 0) {
                return true;
            }
        }
        return false;
    }

    private void raise(CompiledRule rule, Subject s, long now, AlertState state, String message,
                       Map<String, Object> extra) {
        long heldBack = rateLimit(rule, s, now, state);
        if (heldBack < 0) {
            return;
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("condition", rule.spec().condition());
        if (rule.holdForNanos() > 0) {
            evidence.put("for", Durations.format(rule.spec().holdFor()));
        }
        for (Map.Entry<String, NumNode> value : rule.evidence().entrySet()) {
            double v = value.getValue().eval(s, now);
            if (!Double.isNaN(v)) {
                evidence.put(value.getKey(), Math.round(v * 1e4) / 1e4);
            }
        }
        if (s.lastFacts != null) {
            s.lastFacts.forEach(evidence::putIfAbsent);
        }
        if (now - lastDropNanos <= DROP_MEMORY_NANOS && droppedInLastMinute > 0) {
            evidence.put("events_dropped_last_minute", droppedInLastMinute);
        }
        if (heldBack > 0) {
            evidence.put(HELD_BACK_EVIDENCE, heldBack);
        }
        evidence.putAll(extra);
        RuleSpec r = rule.spec();
        sink.accept(alerts.create(new Finding(r.id(), r.title(), r.severity(), r.category(), state, s.vm,
                s.vcpu >= 0 ? s.vcpu : null, s.device, r.nist(), evidence, message), now));
    }

    /**
     * Asks the rate limiter about a transition: firing alerts take a token; the resolution of a firing alert that
     * was sent is always sent, that of one held back is held back too (see {@link AlertRateLimiter}).
     *
     * @return -1 to hold the alert back, else how many alerts of the rule and VM were held back before it
     */
    private long rateLimit(CompiledRule rule, Subject s, long now, AlertState state) {
        Subject.RuleState rs = s.states[rule.index()];
        String vm = s.vm == null ? "" : vmKey(s.vm);
        if (state == AlertState.FIRING) {
            long heldBack = limiter.admitFiring(rule.id(), rule.spec().rateLimit(), vm, now);
            rs.heldBack = heldBack < 0;
            return heldBack;
        }
        if (rs.heldBack) {
            rs.heldBack = false;
            limiter.holdBackResolution(rule.id());
            return -1;
        }
        return limiter.admitResolution(rule.id(), vm);
    }

    /** Remembers when events were last dropped, so that alerts raised meanwhile can say their input was partial. */
    private void noteDrops(long now) {
        if (dropsTotal > dropsAtLastCheck) {
            droppedInLastMinute = now - lastDropNanos <= DROP_MEMORY_NANOS
                    ? droppedInLastMinute + (long) (dropsTotal - dropsAtLastCheck)
                    : (long) (dropsTotal - dropsAtLastCheck);
            lastDropNanos = now;
            dropsAtLastCheck = dropsTotal;
        }
    }

    private static boolean isTrue(double v) {
        return v != 0 && !Double.isNaN(v);
    }

    private static double notTrue(double condition) {
        return Double.isNaN(condition) ? Double.NaN : (condition == 0 ? 1 : 0);
    }

    /**
     * A slot read by a rule is the sum of the matching series. Fed by one series (the usual case) it takes the
     * value as it is; fed by several it adds the difference, which would let rounding creep into a lone value.
     */
    private static void add(Subject s, int[] slots, double value, double delta, boolean firstSample) {
        for (int slot : slots) {
            if (firstSample) {
                s.contributors[slot]++;
            }
            double current = s.number(slot);
            s.setNumber(slot, s.contributors[slot] == 1 ? value : (Double.isNaN(current) ? 0 : current) + delta);
        }
    }

    private Binding bind(Series series) {
        String name = series.prometheusName();
        String device = series.labels().get("device");
        return new Binding(slots(Scope.VCPU, name, series), slots(Scope.VM, name, series),
                slots(Scope.HOST, name, series),
                device == null || device.isEmpty() ? new int[0] : slots(Scope.DEVICE, name, series),
                name.equals(DROPS_METRIC));
    }

    private int[] slots(Scope scope, String name, Series series) {
        return symbols(scope).metrics().entrySet().stream()
                .filter(m -> m.getKey().matches(name, series.labels()))
                .mapToInt(Map.Entry::getValue).toArray();
    }

    private Symbols symbols(Scope scope) {
        return pack.symbols(scope);
    }

    private Iterable<Subject> subjects(Scope scope) {
        if (scope == Scope.HOST) {
            return List.of(host);
        }
        if (scope == Scope.DEVICE) {
            return List.copyOf(devices.values());
        }
        List<Subject> out = new ArrayList<>();
        for (VmSubjects v : vms.values()) {
            if (scope == Scope.VM) {
                out.add(v.vm);
            } else {
                for (Subject s : v.vcpus) {
                    if (s != null) {
                        out.add(s);
                    }
                }
            }
        }
        return out;
    }

    private VmSubjects vm(Vm vm) {
        return vms.computeIfAbsent(vm, VmSubjects::new);
    }

    /**
     * The device's subject. A device new to the engine starts its counters ({@code …_total}) at 0, observed at the
     * last round, so that the events that made its first series appear count as an increase; after a rule reload a
     * known device's counters start from their next sample instead, so that a reload raises no increase.
     */
    private Subject device(String name) {
        Subject s = devices.get(name);
        if (s == null) {
            Symbols sym = symbols(Scope.DEVICE);
            s = subject(sym, pack.rules(Scope.DEVICE).size(), null, -1, name, "device:" + name);
            s.setString(sym.string("device"), name);
            if (devicesSeen.add(name)) {
                for (Map.Entry<MetricRef, Integer> metric : sym.metrics().entrySet()) {
                    if (metric.getKey().name().endsWith("_total")) {
                        s.setNumber(metric.getValue(), 0);
                    }
                }
                if (lastTick != Long.MIN_VALUE) {
                    sym.observe(s, lastTick); // before the first round, what the sources find is history, no increase
                }
            }
            devices.put(name, s);
        }
        return s;
    }

    private Subject noticeSubject(CompiledRule rule, Vm vm, Notice notice) {
        StringBuilder key = new StringBuilder(rule.id());
        for (String field : rule.groupBy()) {
            key.append('|').append(noticeField(field, vm, notice));
        }
        Map<String, Subject> groups = noticeGroups.computeIfAbsent(rule, r -> new LinkedHashMap<>());
        String k = key.toString();
        Subject s = groups.get(k);
        if (s == null) {
            boolean byVm = rule.groupBy().contains("vm");
            boolean byDevice = rule.groupBy().contains("device");
            s = subject(rule.symbols(), 1, byVm ? vm : null, -1, byDevice ? notice.device() : null, k);
            groups.put(k, s);
        }
        return s;
    }

    private static String noticeField(String field, Vm vm, Notice notice) {
        return switch (field) {
            case "type" -> notice.type();
            case "device" -> notice.device();
            case "vm" -> vm == null ? null : vm.name();
            case "uuid" -> vm == null ? null : vm.uuid();
            case "message" -> notice.message();
            default -> {
                Object fact = notice.facts().get(field.substring(Scope.FACT_PREFIX.length()));
                yield fact == null ? null : fact.toString();
            }
        };
    }

    private Subject subject(Symbols sym, int rules, Vm vm, int vcpu, String device, String key) {
        Subject s = new Subject(sym, rules, vm, vcpu, device, key);
        Set<String> carried = carriedFiring.remove(key);
        if (carried != null) {
            // It fired before the rules were reloaded: it stays firing, without a second alert, until it resolves.
            for (CompiledRule rule : pack.rules(sym.scope())) {
                if (carried.contains(rule.id()) && rule.symbols() == sym) {
                    markFiring(rule, s);
                }
            }
        }
        if (vm != null && sym.string("vm") >= 0) {
            s.setString(sym.string("vm"), vm.name());
            s.setString(sym.string("uuid"), vm.uuid());
        }
        if (s.antagonistsSlot >= 0) {
            s.setString(s.antagonistsSlot, "");
        }
        return s;
    }

    private Subject newHost() {
        Subject s = subject(pack.symbols(Scope.HOST), pack.rules(Scope.HOST).size(), null, -1, null, "host");
        s.setString(pack.symbols(Scope.HOST).string("host"), alerts.agent());
        return s;
    }

    /** At most once per event: a new pack gets fresh subjects, and keeps what was firing so it is not re-raised. */
    private void swapIfReplaced() {
        RulePack replacement = next;
        if (replacement == null) {
            return;
        }
        next = null;
        carriedFiring.clear();
        for (Scope scope : List.of(Scope.VCPU, Scope.VM, Scope.HOST, Scope.DEVICE)) {
            subjects(scope).forEach(s -> collectFiring(s, pack.rules(scope)));
        }
        noticeGroups.forEach((rule, groups) -> groups.values().forEach(s -> collectFiring(s, List.of(rule))));
        List<Vm> known = new ArrayList<>(vms.keySet());
        pack = replacement;
        vms.clear();
        devices.clear();
        bindings.clear();
        noticeGroups.clear();
        firing.clear();
        firingByLabels.clear();
        host = newHost();
        known.forEach(this::vm);
        configureAttribution();
        onFiringChange.accept(Map.copyOf(firingByLabels));
    }

    /** Tells attribution how long a window the pack's rules explain and which neighbours_slowed they count. */
    private void configureAttribution() {
        long longest = 0;
        for (CompiledRule r : pack.rules()) {
            if (r.attributeWhen() != null) {
                longest = Math.max(longest, r.holdForNanos());
            }
        }
        attribution.configure(longest, pack.symbols(Scope.VM).neighbourQueries());
    }

    private void collectFiring(Subject s, List<CompiledRule> rules) {
        for (CompiledRule rule : rules) {
            // A firing alert the rate limit held back was never sent: the new rules may raise it afresh.
            if (s.states[rule.index()].firing && !s.states[rule.index()].heldBack) {
                carriedFiring.computeIfAbsent(s.key, k -> new HashSet<>()).add(rule.id());
            }
        }
    }

    /** How one series feeds the rules: the slots it adds to in each scope, and its last value. */
    private static final class Binding {
        final int[] vcpuSlots;
        final int[] vmSlots;
        final int[] hostSlots;
        /** In the subject of the series' device label; none for a series of no device. */
        final int[] deviceSlots;
        final boolean isDrops;
        double last = Double.NaN;

        Binding(int[] vcpuSlots, int[] vmSlots, int[] hostSlots, int[] deviceSlots, boolean isDrops) {
            this.vcpuSlots = vcpuSlots;
            this.vmSlots = vmSlots;
            this.hostSlots = hostSlots;
            this.deviceSlots = deviceSlots;
            this.isDrops = isDrops;
        }
    }

    /** A VM's subject and its vCPUs' subjects and wait shares. */
    private final class VmSubjects {
        final Vm vm0;
        final Subject vm;
        Subject[] vcpus = new Subject[0];
        WaitShare[] shares = new WaitShare[0];
        long[] lastRun = new long[0];
        long[] lastWait = new long[0];

        VmSubjects(Vm vm) {
            this.vm0 = vm;
            Symbols sym = symbols(Scope.VM);
            this.vm = subject(sym, pack.rules(Scope.VM).size(), vm, -1, null, vmKey(vm));
            this.vm.setNumber(sym.number("vcpus"), vm.vcpus());
        }

        Subject vcpu(int index) {
            if (index >= vcpus.length) {
                vcpus = Arrays.copyOf(vcpus, index + 1);
                shares = Arrays.copyOf(shares, index + 1);
                lastRun = Arrays.copyOf(lastRun, index + 1);
                lastWait = Arrays.copyOf(lastWait, index + 1);
            }
            if (vcpus[index] == null) {
                Symbols sym = symbols(Scope.VCPU);
                vcpus[index] = subject(sym, pack.rules(Scope.VCPU).size(), vm0, index, null,
                        vmKey(vm0) + "/vcpu" + index);
                vcpus[index].setNumber(sym.number("vcpu"), index);
                shares[index] = new WaitShare();
            }
            return vcpus[index];
        }

        WaitShare share(int index) {
            vcpu(index);
            return shares[index];
        }

        /** Keeps the VM's run and wait seconds as the sum of its vCPUs' latest cumulative times. */
        void addTimes(int index, long run, long wait) {
            Symbols sym = symbols(Scope.VM);
            int runSlot = sym.number("run_seconds");
            int waitSlot = sym.number("wait_seconds");
            double runNow = Double.isNaN(vm.number(runSlot)) ? 0 : vm.number(runSlot);
            double waitNow = Double.isNaN(vm.number(waitSlot)) ? 0 : vm.number(waitSlot);
            vm.setNumber(runSlot, runNow + (run - lastRun[index]) / 1e9);
            vm.setNumber(waitSlot, waitNow + (wait - lastWait[index]) / 1e9);
            lastRun[index] = run;
            lastWait[index] = wait;
        }
    }

    private static String vmKey(Vm vm) {
        return "vm:" + vm.pid() + ":" + vm.startTicks();
    }
}
