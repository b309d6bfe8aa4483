package dev.hvwatch.agent.rules.expr;

/** A compiled string expression: a string literal or a string variable of the group (null when unknown). */
@FunctionalInterface
public interface StrNode {
    String eval(Group g);
}
