package dev.hvwatch.agent.source.perf;

import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.nativebind.LibC;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps perf event groups open on every vCPU thread discovery knows, and reads them once per round: opens groups for
 * new threads, and closes every descriptor of a thread or VM that is gone in the round it goes. The groups are the
 * same for every thread; slots number their events in order over all groups. Used only by the sampling thread.
 */
public final class VcpuCounterTracker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VcpuCounterTracker.class);

    private final String source;
    private final PerfEventOpener opener;
    private final List<List<PerfEventSpec>> groups;
    private final int[] firstSlots;
    private final int slots;
    /** One buffer for every group read: reads happen one after another on the sampling thread. */
    private final Pointer buffer;
    private final Map<Vm, VmCounters> vms = new IdentityHashMap<>();
    private final LongAdder readFailures = new LongAdder();
    private long round;
    private int descriptors;

    /** @param groups the event groups to open on every vCPU thread; none may be empty */
    public VcpuCounterTracker(String source, PerfEventOpener opener, List<List<PerfEventSpec>> groups) {
        this.source = source;
        this.opener = opener;
        this.groups = List.copyOf(groups);
        this.firstSlots = new int[groups.size()];
        int slot = 0;
        int largest = 0;
        for (int g = 0; g < groups.size(); g++) {
            firstSlots[g] = slot;
            slot += groups.get(g).size();
            largest = Math.max(largest, groups.get(g).size());
        }
        this.slots = slot;
        this.buffer = Memory.allocateDirect(LibC.runtime(), PerfGroup.readBytes(largest));
    }

    /** Events per vCPU thread, over all groups. */
    public int slots() {
        return slots;
    }

    /**
     * Follows discovery's view of the VMs it is given, then reads every group.
     *
     * @param counted which of the watched VMs to count (a tracepoint that only KVM fires need not be opened on an
     *                emulated guest's threads)
     */
    public void update(Collection<WatchedVm> watched, Predicate<Vm> counted) throws PerfAccessException {
        round++;
        for (WatchedVm w : watched) {
            if (!counted.test(w.vm())) {
                continue;
            }
            VmCounters vm = vms.get(w.vm());
            if (vm == null) {
                vm = new VmCounters(w.vm(), slots);
                vms.put(w.vm(), vm);
            }
            vm.seenInRound = round;
            for (Map.Entry<Integer, Long> thread : w.vcpuThreads().entrySet()) {
                follow(vm, thread.getKey(), thread.getValue());
            }
            dropVcpusNotSeen(vm);
            for (VcpuCounters v : vm.vcpuMap().values()) {
                countReadFailures(v.read(buffer));
            }
        }
        for (Iterator<VmCounters> it = vms.values().iterator(); it.hasNext(); ) {
            VmCounters vm = it.next();
            if (vm.seenInRound != round) {
                for (VcpuCounters v : vm.vcpuMap().values()) {
                    close(v);
                }
                it.remove();
            }
        }
    }

    /** The VMs counted after the latest update. */
    public Collection<VmCounters> vms() {
        return Collections.unmodifiableCollection(vms.values());
    }

    /** Perf event descriptors open now. */
    public int descriptors() {
        return descriptors;
    }

    /** Group reads that failed or came back short, since start. */
    public long readFailures() {
        return readFailures.sum();
    }

    @Override
    public void close() {
        for (VmCounters vm : vms.values()) {
            for (VcpuCounters v : vm.vcpuMap().values()) {
                close(v);
            }
        }
        vms.clear();
    }

    private void follow(VmCounters vm, int index, long tid) throws PerfAccessException {
        VcpuCounters v = vm.vcpuMap().get(index);
        if (v == null) {
            v = new VcpuCounters(index, groups.size(), slots);
            vm.vcpuMap().put(index, v);
        }
        v.seenInRound = round;
        if (v.tid() == tid) {
            return;
        }
        if (v.tid() >= 0) {
            descriptors -= v.descriptors();
            countReadFailures(v.retireThread(buffer));
        }
        PerfGroup[] opened = new PerfGroup[groups.size()];
        try {
            for (int g = 0; g < opened.length; g++) {
                opened[g] = opener.open(groups.get(g), firstSlots[g], tid);
            }
        } catch (PerfAccessException e) {
            for (PerfGroup group : opened) {
                if (group != null) {
                    group.close();
                }
            }
            throw e;
        }
        // A thread whose groups could not be opened is not tried again: the failure was counted and logged once,
        // and retrying every round would only repeat it.
        v.follow(tid, opened);
        descriptors += v.descriptors();
    }

    private void dropVcpusNotSeen(VmCounters vm) {
        for (Iterator<VcpuCounters> it = vm.vcpuMap().values().iterator(); it.hasNext(); ) {
            VcpuCounters v = it.next();
            if (v.seenInRound != round) {
                descriptors -= v.descriptors();
                countReadFailures(v.retireThread(buffer));
                vm.addGone(v);
                it.remove();
            }
        }
    }

    private void close(VcpuCounters v) {
        descriptors -= v.descriptors();
        v.close();
    }

    private void countReadFailures(int failed) {
        if (failed > 0) {
            if (readFailures.sum() == 0) {
                LOG.warn("{}: a perf group read failed or came back short; counted in hvwatch_source_errors_total, "
                        + "logged once", source);
            }
            readFailures.add(failed);
        }
    }
}
