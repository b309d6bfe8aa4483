package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.alert.AlertFactory.Draft;
import dev.hvwatch.agent.alert.AlertSink;
import dev.hvwatch.agent.rules.attribution.Attribution;
import dev.hvwatch.agent.rules.attribution.Explanation;
import dev.hvwatch.agent.rules.expr.NumNode;
import dev.hvwatch.agent.rules.expr.Scope;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.config.Durations;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@link RuleEngine}'s alert state: evaluating a rule for a subject ({@code for} durations, resolution,
 * inhibition), the rate limits, what fires by rule and by labels, and the evidence an alert carries (its figures,
 * recent event drops, who took the CPU). Single writer: the engine's thread.
 */
final class FiringState {
    private static final long DROP_MEMORY_NANOS = 60_000_000_000L;

    private final AlertFactory alerts;
    private final AlertSink sink;
    private final AlertRateLimiter limiter = new AlertRateLimiter();
    private final Attribution attribution;
    private final Map<String, Integer> firing = new HashMap<>();
    /** What is firing by rule, severity and VM; handed to {@link #onFiringChange} after the events that change it. */
    private final Map<FiringAlert, Integer> firingByLabels = new HashMap<>();
    private final Consumer<Map<FiringAlert, Integer>> onFiringChange;
    private boolean firingChanged;
    private double dropsTotal;
    private double dropsAtLastCheck;
    private long lastDropNanos = Long.MIN_VALUE;
    private long droppedInLastMinute;

    FiringState(AlertFactory alerts, AlertSink sink, Consumer<Map<FiringAlert, Integer>> onFiringChange,
                Attribution attribution) {
        this.alerts = alerts;
        this.sink = sink;
        this.onFiringChange = onFiringChange;
        this.attribution = attribution;
    }

    AlertRateLimiter rateLimiter() {
        return limiter;
    }

    void evaluateAll(List<CompiledRule> rules, Subject s, long now, Set<Vm> running) {
        if (rules.isEmpty()) {
            return;
        }
        rules.get(0).symbols().observe(s, now);
        for (int i = 0; i < rules.size(); i++) {
            evaluate(rules.get(i), s, now, running);
        }
    }

    /** @param running the VMs running now, among whom attribution looks for who took the CPU */
    void evaluate(CompiledRule rule, Subject s, long now, Set<Vm> running) {
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
                Map<String, Object> named = whoTookTheCpu(rule, s, now, running);
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
    private Map<String, Object> whoTookTheCpu(CompiledRule rule, Subject s, long now, Set<Vm> running) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (rule.attributeWhen() != null && s.vm != null) {
            Explanation x = attribution.explain(s.vm, s.vcpu, rule.holdForNanos(), now, running);
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

    void markFiring(CompiledRule rule, Subject s) {
        s.states[rule.index()].firing = true;
        firing.merge(rule.id(), 1, Integer::sum);
        countFiring(rule, s, 1);
    }

    /** Resolves a firing alert of a VM that stopped. */
    void resolveStopped(CompiledRule rule, Subject s, Vm vm, long now) {
        resolve(rule, s, now, "VM " + vm.describe() + " stopped: " + rule.spec().title() + " resolved",
                Map.of("reason", "vm_stopped"));
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
        firingChanged = true;
    }

    /**
     * Tells {@code onFiringChange} what fires now if that changed since it was last told: once per event, however
     * many alerts the event raised or resolved (a round's tick on a large host can settle hundreds).
     */
    void announceIfChanged() {
        if (firingChanged) {
            firingChanged = false;
            onFiringChange.accept(Map.copyOf(firingByLabels));
        }
    }

    /** Before a rule reload: the new pack's subjects count again what stays firing. */
    void forgetCounts() {
        firing.clear();
        firingByLabels.clear();
        firingChanged = true;
    }

    /** A stopped VM's rate-limit state goes with it. */
    void forget(Vm vm) {
        limiter.forget(SubjectTable.vmKey(vm));
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
            long since = s.states[rule.index()].pendingSince;
            if (state == AlertState.FIRING && since >= 0) {
                // What SOC analysts ask first, and how an operator sees the agent's own detection latency.
                evidence.put("held_since", AlertTime.format(Instant.ofEpochSecond(0, since)));
            }
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
            evidence.put(RuleEngine.HELD_BACK_EVIDENCE, heldBack);
        }
        evidence.putAll(extra);
        RuleSpec r = rule.spec();
        sink.accept(alerts.create(new Draft(r.id(), r.title(), r.severity(), r.category(), state, s.vm,
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
        String vm = s.vm == null ? "" : SubjectTable.vmKey(s.vm);
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

    /** Counts events the agent dropped, read from its own {@code hvwatch_events_dropped_total}. */
    void addDrops(double delta) {
        dropsTotal += delta;
    }

    /** Remembers when events were last dropped, so that alerts raised meanwhile can say their input was partial. */
    void noteDrops(long now) {
        if (dropsTotal > dropsAtLastCheck) {
            droppedInLastMinute = now - lastDropNanos <= DROP_MEMORY_NANOS
                    ? droppedInLastMinute + (long) (dropsTotal - dropsAtLastCheck)
                    : (long) (dropsTotal - dropsAtLastCheck);
            lastDropNanos = now;
            dropsAtLastCheck = dropsTotal;
        }
    }

    /** Tells attribution how long a window the pack's rules explain and which neighbours_slowed they count. */
    void configureAttribution(RulePack pack) {
        long longest = 0;
        for (CompiledRule r : pack.rules()) {
            if (r.attributeWhen() != null) {
                longest = Math.max(longest, r.holdForNanos());
            }
        }
        attribution.configure(longest, pack.symbols(Scope.VM).neighbourQueries());
    }

    private static boolean isTrue(double v) {
        return v != 0 && !Double.isNaN(v);
    }

    private static double notTrue(double condition) {
        return Double.isNaN(condition) ? Double.NaN : (condition == 0 ? 1 : 0);
    }
}
