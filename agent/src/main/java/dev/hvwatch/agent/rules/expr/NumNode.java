package dev.hvwatch.agent.rules.expr;

/**
 * A compiled numeric or boolean expression (booleans are 1 and 0). NaN means "no data": it propagates through
 * arithmetic and comparisons, and a condition that is NaN is not true. Implementations allocate nothing.
 */
@FunctionalInterface
public interface NumNode {
    double eval(Group g, long nowNanos);
}
