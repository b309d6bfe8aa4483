package dev.hvwatch.agent.source.kvmstat;

import java.util.Objects;

/**
 * What the kernel says about one KVM statistic (its {@code struct kvm_stats_desc}, as QMP's
 * {@code query-stats-schemas} relays it): a raw value v means v x base^exponent units.
 *
 * @param name     the kernel's name, e.g. {@code halt_poll_success_ns}
 * @param base     10 or 2
 * @param exponent e.g. -9 for nanoseconds, 10 (base 2) for KiB
 */
public record StatDescriptor(String name, StatType type, StatUnit unit, int base, int exponent) {
    public StatDescriptor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(unit, "unit");
        if (base != 10 && base != 2) {
            throw new IllegalArgumentException(name + ": base must be 10 or 2, got " + base);
        }
    }
}
