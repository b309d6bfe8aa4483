package dev.hvwatch.agent.source.discovery;

import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.VmLifecycle;
import dev.hvwatch.agent.vm.Vm;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what {@link ProcDiscovery} finds into VM_STARTED and VM_STOPPED events, within one sampling round, and a
 * {@code vm.started} notice with the command line for the HY-SR-17 change log. A VM's tenant is looked up (see
 * {@link TenantSource}) before it is announced.
 */
public final class DiscoverySource implements Source {
    private static final Logger LOG = LoggerFactory.getLogger(DiscoverySource.class);

    private final ProcDiscovery discovery;
    private final EventRing ring;
    private volatile int vmCount;
    private TenantSource tenants = TenantSource.NONE;

    public DiscoverySource(ProcDiscovery discovery, EventRing ring) {
        this.discovery = discovery;
        this.ring = ring;
    }

    /** Who fills in new VMs' tenants; set before the first round. */
    public void lookUpTenantsWith(TenantSource source) {
        this.tenants = source;
    }

    @Override
    public String name() {
        return "discovery";
    }

    @Override
    public void sample(long nowNanos) throws Exception {
        ProcDiscovery.Changes changes = discovery.scan();
        for (WatchedVm w : changes.stopped()) {
            LOG.info("VM stopped: {}", w.vm().describe());
            ring.publishVmLifecycle(EventKind.VM_STOPPED, nowNanos, w.vm());
        }
        for (WatchedVm w : changes.started()) {
            Vm vm = w.vm();
            tenants.lookUp(vm);
            LOG.info("VM found: {}{}", vm.describe(), vm.kvm() ? "" : " - NOT using KVM (emulated)");
            ring.publishVmLifecycle(EventKind.VM_STARTED, nowNanos, vm);
            ring.publishNotice(nowNanos, vm, VmLifecycle.started(vm));
        }
        vmCount = discovery.watched().size();
    }

    /** Times the kernel lost process events (each made a round list {@code /proc} in full). */
    public long processEventOverflows() {
        return discovery.eventOverflows();
    }

    /** After the sampler has stopped. */
    public void close() {
        discovery.close();
    }

    /** VMs watched after the latest round; any thread may ask. */
    public int vmCount() {
        return vmCount;
    }

    /** The VMs watched now; only valid on the sampling thread. */
    public Collection<WatchedVm> watched() {
        return discovery.watched().values();
    }
}
