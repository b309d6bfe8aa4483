package dev.hvwatch.agent.source.kvmstat;

import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which source feeds each VM's KVM statistics, and the {@link Series} they are published on, shared by every
 * source of KVM statistics.
 *
 * <p>One source per VM, for the VM's lifetime: QMP gives per-vCPU values and debugfs only their sum, so a VM fed by
 * both, even one after the other, would be counted twice by {@code sum without (vcpu)}. The first source to claim a
 * VM keeps it. Series are created once per (VM, vCPU, metric) and reused for every sample, as the metrics consumer
 * keys meters by Series identity.
 *
 * <p>Sampling thread only.
 */
public final class KvmStatSeries {
    private final Map<Vm, Fed> vms = new IdentityHashMap<>();
    /** Reused by {@link #retain} so that forgetting stopped VMs allocates nothing in the steady state. */
    private final Set<Vm> live = Collections.newSetFromMap(new IdentityHashMap<>());

    /**
     * Claims the VM for {@code source} unless another source feeds it already.
     *
     * @return whether {@code source} feeds the VM (now, or already did)
     */
    public boolean claim(Vm vm, String source) {
        Fed fed = vms.get(vm);
        if (fed == null) {
            vms.put(vm, new Fed(source));
            return true;
        }
        return fed.source.equals(source);
    }

    /** Whether {@code source} has claimed the VM. */
    public boolean fedBy(Vm vm, String source) {
        Fed fed = vms.get(vm);
        return fed != null && fed.source.equals(source);
    }

    /**
     * The series of one metric of a claimed VM.
     *
     * @param vcpu the vCPU index, or -1 for a VM-wide value
     */
    public Series series(Vm vm, int vcpu, KvmMetric metric) {
        Fed fed = vms.get(vm);
        if (fed == null) {
            throw new IllegalStateException(vm.describe() + " is not claimed by any source");
        }
        Map<String, Series> byName = fed.of(vcpu);
        Series series = byName.get(metric.name());
        if (series == null) {
            series = new Series(metric.name(), metric.help(), metric.baseUnit(), metric.cumulative(), Map.of());
            byName.put(metric.name(), series);
        }
        return series;
    }

    /** Forgets the VMs that are no longer watched: a restarted VM is a new Vm and is claimed afresh. */
    public void retain(Collection<WatchedVm> watched) {
        live.clear();
        for (WatchedVm w : watched) {
            live.add(w.vm());
        }
        vms.keySet().retainAll(live);
    }

    private static final class Fed {
        final String source;
        final Map<String, Series> vmWide = new HashMap<>();
        final List<Map<String, Series>> perVcpu = new ArrayList<>();

        Fed(String source) {
            this.source = source;
        }

        Map<String, Series> of(int vcpu) {
            if (vcpu < 0) {
                return vmWide;
            }
            while (perVcpu.size() <= vcpu) {
                perVcpu.add(new HashMap<>());
            }
            return perVcpu.get(vcpu);
        }
    }
}
