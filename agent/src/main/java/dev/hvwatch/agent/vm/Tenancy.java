package dev.hvwatch.agent.vm;

import java.util.Objects;

/**
 * A VM's current {@link Tenant}: the one part of a {@link Vm} that may change during its life (an operator edits
 * the instance's metadata), so it is held apart from the immutable rest. Written by the sampling thread, read by
 * any (alerts, /metrics); a tenant is immutable, so readers see one whole.
 */
public final class Tenancy {
    private volatile Tenant tenant = Tenant.NONE;

    public Tenant get() {
        return tenant;
    }

    public void set(Tenant newTenant) {
        tenant = Objects.requireNonNull(newTenant, "tenant");
    }

    @Override
    public String toString() {
        return tenant.toString();
    }
}
