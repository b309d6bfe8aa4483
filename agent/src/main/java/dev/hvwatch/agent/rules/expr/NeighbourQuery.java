package dev.hvwatch.agent.rules.expr;

/**
 * One {@code neighbours_slowed(share, window)} of the VM rules: the number of other VMs more than {@code share} of
 * whose CPU wait over {@code window} this VM caused. The rule engine fills its slot from the attribution of waits.
 *
 * @param slot the numeric slot of each VM subject that holds it
 */
public record NeighbourQuery(int slot, double share, long spanNanos) {
}
