package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.rules.expr.NumNode;
import dev.hvwatch.agent.rules.expr.Scope;
import dev.hvwatch.agent.rules.expr.Symbols;
import java.util.List;
import java.util.Map;

/**
 * A rule ready to evaluate: its spec, its compiled expressions bound to its scope's {@link Symbols}, and the
 * named values shown as evidence when it fires.
 *
 * @param index      the rule's position among the rules of its scope (its state slot in each {@link Subject})
 * @param evidence   expression text → compiled value, for the alert's evidence
 * @param attributeWhen  true near the threshold: attribution keeps censuses meanwhile (null: the rule names no one)
 * @param neighbourQuery the index among its scope's {@code neighbours_slowed} queries of the first one its condition
 *                       asks, whose VMs the alert's evidence lists; -1 for none
 */
record CompiledRule(
        RuleSpec spec,
        Scope scope,
        Symbols symbols,
        int index,
        NumNode condition,
        NumNode resolve,
        long holdForNanos,
        Template message,
        Template resolveMessage,
        Map<String, NumNode> evidence,
        List<String> groupBy,
        NumNode attributeWhen,
        int neighbourQuery) {

    String id() {
        return spec.id();
    }
}
