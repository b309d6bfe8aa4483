package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.rules.expr.MetricRef;
import dev.hvwatch.agent.rules.expr.Scope;
import dev.hvwatch.agent.rules.expr.Symbols;
import dev.hvwatch.agent.vm.Vm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link RuleEngine}'s subjects — per VM, vCPU, device, notice group and the host — under the rule pack in force,
 * and how each series feeds their symbol slots. Replacing the pack starts afresh with the same VMs, marking what was
 * firing as still firing (through {@link FiringState}) so that a reload raises no second alert. Single writer: the
 * engine's thread.
 */
final class SubjectTable {
    private static final String DROPS_METRIC = "hvwatch_events_dropped_total";

    private final String hostName;
    private final FiringState firing;
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
    /** Subject key → rule ids firing before a reload, so that a reload raises no second alert for them. */
    private final Map<String, Set<String>> carriedFiring = new HashMap<>();

    /** @param hostName the {@code host} string of host rules' messages: the agent's name */
    SubjectTable(RulePack pack, String hostName, FiringState firing) {
        this.pack = pack;
        this.hostName = hostName;
        this.firing = firing;
        this.host = newHost();
    }

    RulePack pack() {
        return pack;
    }

    Symbols symbols(Scope scope) {
        return pack.symbols(scope);
    }

    Subject host() {
        return host;
    }

    /** The VMs running now (a live view). */
    Set<Vm> running() {
        return vms.keySet();
    }

    Collection<VmSubjects> vms() {
        return vms.values();
    }

    Collection<Subject> devices() {
        return devices.values();
    }

    Map<CompiledRule, Map<String, Subject>> noticeGroups() {
        return noticeGroups;
    }

    /** Subjects of notice rules kept; for tests that check nothing is kept for VMs that are gone. */
    int noticeSubjects() {
        return noticeGroups.values().stream().mapToInt(Map::size).sum();
    }

    /** Marks the end of a sampling round: a device that appears later has its counters observed at it. */
    void tickAt(long time) {
        lastTick = time;
    }

    VmSubjects vm(Vm vm) {
        return vms.computeIfAbsent(vm, VmSubjects::new);
    }

    /** Forgets a stopped VM's subjects; null when it had none. */
    VmSubjects remove(Vm vm) {
        return vms.remove(vm);
    }

    Binding binding(Series series) {
        Binding b = bindings.get(series);
        if (b == null) {
            b = bind(series);
            bindings.put(series, b);
        }
        return b;
    }

    /**
     * A slot read by a rule is the sum of the matching series. Fed by one series (the usual case) it takes the
     * value as it is; fed by several it adds the difference, which would let rounding creep into a lone value.
     */
    static void add(Subject s, int[] slots, double value, double delta, boolean firstSample) {
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

    /**
     * The device's subject. A device new to the engine starts its counters ({@code …_total}) at 0, observed at the
     * last round, so that the events that made its first series appear count as an increase; after a rule reload a
     * known device's counters start from their next sample instead, so that a reload raises no increase.
     */
    Subject device(String name) {
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

    Subject noticeSubject(CompiledRule rule, Vm vm, Notice notice) {
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

    static String noticeField(String field, Vm vm, Notice notice) {
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
                    firing.markFiring(rule, s);
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
        s.setString(pack.symbols(Scope.HOST).string("host"), hostName);
        return s;
    }

    /** A new pack gets fresh subjects for the same VMs, and keeps what was firing so it is not re-raised. */
    void replace(RulePack replacement) {
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
        firing.forgetCounts();
        host = newHost();
        known.forEach(this::vm);
    }

    private void collectFiring(Subject s, List<CompiledRule> rules) {
        for (CompiledRule rule : rules) {
            // A firing alert the rate limit held back was never sent: the new rules may raise it afresh.
            if (s.states[rule.index()].firing && !s.states[rule.index()].heldBack) {
                carriedFiring.computeIfAbsent(s.key, k -> new HashSet<>()).add(rule.id());
            }
        }
    }

    static String vmKey(Vm vm) {
        return "vm:" + vm.pid() + ":" + vm.startTicks();
    }

    /** How one series feeds the rules: the slots it adds to in each scope, and its last value. */
    static final class Binding {
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
    final class VmSubjects {
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
}
