package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One libvirt domain, matched to its VM: publishes what {@link RecordDecoder} read from its records, on the sampling
 * thread, after discovery.
 *
 * <p>Records can arrive out of order: while one statistics call waits for a starved QEMU, the next one (libvirt's
 * {@code NOWAIT} leaving that domain's busy groups out) finishes first. So each group remembers when the values it
 * published were collected, and a field is published only if its record is newer: a counter never goes back. A group
 * the domain reported before and a newer record lacks is counted as skipped.
 */
final class DomainStats {
    private final Vm vm;
    private final long uuidHigh;
    private final long uuidLow;
    private final LibvirtCounters counters;
    private final Set<String> unknownNames = ConcurrentHashMap.newKeySet();
    private final long[] publishedAt = new long[Group.values().length];
    private final Map<DomainMetric, Series> vmSeries = new EnumMap<>(DomainMetric.class);
    private final Map<String, Series[]> deviceSeries = new HashMap<>();
    private int groupsEver;
    /** Whether KVM statistics come from here: unknown (0), yes (1), another source feeds the VM (-1). */
    private int kvmFeed;
    /** Whether a whole record (no group skipped) came without any KVM statistic: libvirt or QEMU too old. */
    private boolean noKvmStatistics;

    DomainStats(Vm vm, long uuidHigh, long uuidLow, LibvirtCounters counters) {
        this.vm = vm;
        this.uuidHigh = uuidHigh;
        this.uuidLow = uuidLow;
        this.counters = counters;
    }

    Vm vm() {
        return vm;
    }

    boolean is(long high, long low) {
        return uuidHigh == high && uuidLow == low;
    }

    /** Whether a name unknown to hvwatch is new for this domain (so it is counted once); any thread. */
    boolean firstTimeUnknown(String name) {
        return unknownNames.add(name);
    }

    /** Whether libvirt was seen to have no KVM statistics for this VM (libvirt before 8.9, QEMU before 7.1). */
    boolean lacksKvmStatistics() {
        return noKvmStatistics;
    }

    /** Publishes a decoded record's values that are newer than what was published; the sampling thread. */
    void publish(RecordDecoder.Decoded record, Batch batch, KvmStatSeries kvm) {
        long at = record.collectedAtNanos;
        int fresh = 0;
        for (Group g : Group.values()) {
            if ((record.groups & (1 << g.ordinal())) != 0 && at > publishedAt[g.ordinal()]) {
                fresh |= 1 << g.ordinal();
            }
        }
        for (int i = 0; i < record.fields.length; i++) {
            StatField f = record.fields[i];
            double v = record.values[i];
            if (f == null || Double.isNaN(v) || (fresh & (1 << f.group().ordinal())) == 0) {
                continue;
            }
            switch (f.kind()) {
                case KVM -> {
                    if (feedsKvm(kvm)) {
                        batch.sample(at, vm, f.index(), kvm.series(vm, f.index(), f.kvm()), v);
                    }
                }
                case DEVICE_METRIC -> batch.sample(at, vm, -1, deviceSeries(record.devices[i], f.metric()), v);
                case VM_METRIC -> batch.sample(at, vm, -1, vmSeries.computeIfAbsent(f.metric(), m -> m.series(null)),
                        v);
                default -> {
                    // counts, names and ignored fields publish nothing
                }
            }
        }
        for (Group g : Group.values()) {
            if ((fresh & (1 << g.ordinal())) != 0) {
                publishedAt[g.ordinal()] = at;
            } else if ((groupsEver & ~record.groups & (1 << g.ordinal())) != 0 && at > publishedAt[g.ordinal()]) {
                counters.countSkipped(g);
            }
        }
        groupsEver |= record.groups;
        if (record.groups == groupsEver && !record.anyKvm) {
            noKvmStatistics = true;
        }
    }

    private boolean feedsKvm(KvmStatSeries kvm) {
        if (kvmFeed == 0) {
            kvmFeed = kvm.claim(vm, LibvirtSource.NAME) ? 1 : -1;
        }
        return kvmFeed > 0;
    }

    private Series deviceSeries(String device, DomainMetric metric) {
        Series[] byMetric = deviceSeries.computeIfAbsent(device, n -> new Series[DomainMetric.values().length]);
        Series s = byMetric[metric.ordinal()];
        if (s == null) {
            s = metric.series(device);
            byMetric[metric.ordinal()] = s;
        }
        return s;
    }

    @Override
    public String toString() {
        return "DomainStats[" + vm.describe() + "]";
    }
}
