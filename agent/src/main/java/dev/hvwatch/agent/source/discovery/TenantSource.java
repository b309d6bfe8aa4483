package dev.hvwatch.agent.source.discovery;

import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Vm;

/**
 * Whoever knows a VM's tenant (libvirt, from the domain's metadata) fills in its {@link Tenancy} before the VM is
 * announced on the ring, so that the VM's first alert already names its tenant.
 */
@FunctionalInterface
public interface TenantSource {
    TenantSource NONE = vm -> { };

    /** Sets {@code vm.tenancy()} if the VM is known; never throws (a failure is the source's to count). */
    void lookUp(Vm vm);
}
