package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.rules.expr.Group;
import dev.hvwatch.agent.rules.expr.Scope;
import dev.hvwatch.agent.rules.expr.Symbols;
import dev.hvwatch.agent.vm.Vm;
import java.util.Map;

/**
 * What an alert is about — a vCPU, a VM, the host, or a notice group — with its evaluation {@link Group} and the
 * alert state of each rule of its scope. {@code key} identifies it across rule reloads.
 */
final class Subject extends Group {
    final Vm vm;
    final int vcpu;
    final String device;
    final String key;
    final RuleState[] states;
    /** Notice subjects: the facts of the latest matching notice, shown in the alert's evidence. */
    Map<String, Object> lastFacts;
    /**
     * Notice subjects: before this time nothing its rule reads can change unless a notice comes, so rounds need not
     * evaluate it (see {@code RuleEngine#evaluateNotice}).
     */
    long quietUntil = Long.MIN_VALUE;
    /** How many series feed each numeric slot: one sets it exactly, several add up by differences. */
    final int[] contributors;
    /** The string slot of who took the CPU, filled in for a firing alert's message; -1 where the scope has none. */
    final int antagonistsSlot;

    Subject(Symbols symbols, int rules, Vm vm, int vcpu, String device, String key) {
        super(symbols);
        this.vm = vm;
        this.vcpu = vcpu;
        this.device = device;
        this.key = key;
        contributors = new int[symbols.numberCount()];
        antagonistsSlot = symbols.string(Scope.ANTAGONISTS);
        states = new RuleState[rules];
        for (int i = 0; i < rules; i++) {
            states[i] = new RuleState();
        }
    }

    /** Pending and firing state of one rule for one subject. */
    static final class RuleState {
        long pendingSince = -1;
        boolean firing;
        /** The current firing alert was held back by the rule's rate limit, so its resolution is too. */
        boolean heldBack;
    }
}
