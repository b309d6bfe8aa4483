package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.discovery.Vm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import dev.hvwatch.nativebind.TypedParameters;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One libvirt domain's statistics record, each round, turned into samples of its VM's series.
 *
 * <p>libvirt returns the same fields in the same order every round, so what each field means is decided the first
 * time a name appears at a position and remembered: a round compares each name's bytes with the one remembered there
 * and reads the value, with no string made and no map looked up. Only a changed layout (a device hot-plugged, a vCPU
 * added) costs a parse.
 *
 * <p>What a record cannot be trusted for is counted, never fatal: a field without its NUL, a name hvwatch does not
 * know (once per name), a value of the wrong type, a device statistic before its device's name, and fewer devices or
 * vCPUs than the record's own counts say (a truncated list). A group the domain reported before and now lacks — libvirt
 * leaves out what needs the domain's monitor while a job holds it ({@code NOWAIT}) — is counted as skipped.
 *
 * <p>Sampling thread only.
 */
final class DomainStats {
    private static final int MAX_DEVICE_NAME = 256;

    private final Vm vm;
    private final long uuidHigh;
    private final long uuidLow;
    private final LibvirtCounters counters;
    private final byte[] field = new byte[TypedParameters.FIELD_LENGTH];
    private final byte[] text = new byte[MAX_DEVICE_NAME];
    private byte[][] names = new byte[0][];
    private StatField[] fields = new StatField[0];
    private final Set<String> unknownNames = new HashSet<>();
    private final Map<Group, Devices> devices = new EnumMap<>(Group.class);
    private final Map<DomainMetric, Series> vmSeries = new EnumMap<>(DomainMetric.class);
    private final int[] counts = new int[Group.values().length];
    private int groupsEver;
    private int groupsNow;
    private int vcpusSeen;
    /** Whether KVM statistics come from here: unknown (0), yes (1), another source feeds the VM (-1). */
    private int kvmFeed;
    /** Whether a record came whole (no group skipped) without any KVM statistic: libvirt or QEMU too old. */
    private boolean noKvmStatistics;

    DomainStats(Vm vm, long uuidHigh, long uuidLow, LibvirtCounters counters) {
        this.vm = vm;
        this.uuidHigh = uuidHigh;
        this.uuidLow = uuidLow;
        this.counters = counters;
        devices.put(Group.BLOCK, new Devices(Group.BLOCK));
        devices.put(Group.NET, new Devices(Group.NET));
    }

    Vm vm() {
        return vm;
    }

    boolean is(long high, long low) {
        return uuidHigh == high && uuidLow == low;
    }

    /** Whether libvirt was seen to have no KVM statistics for this VM (libvirt before 8.9, QEMU before 7.1). */
    boolean lacksKvmStatistics() {
        return noKvmStatistics;
    }

    /** Publishes one round's record. */
    void publish(TypedParameters params, long nowNanos, Batch batch, KvmStatSeries kvm) {
        groupsNow = 0;
        vcpusSeen = 0;
        Arrays.fill(counts, -1);
        devices.values().forEach(Devices::startRound);
        boolean anyKvm = false;
        for (int i = 0; i < params.count(); i++) {
            StatField f = fieldAt(params, i);
            if (f == null) {
                continue;
            }
            if (f.group() != null) {
                groupsNow |= 1 << f.group().ordinal();
            }
            if (f.group() == Group.VCPU && f.index() >= 0) {
                vcpusSeen = Math.max(vcpusSeen, f.index() + 1);
            }
            switch (f.kind()) {
                case KVM -> {
                    anyKvm = true;
                    if (feedsKvm(kvm) && numeric(params, i)) {
                        batch.sample(nowNanos, vm, f.index(), kvm.series(vm, f.index(), f.kvm()),
                                params.number(i) * f.kvm().scale());
                    }
                }
                case DEVICE_NAME -> devices.get(f.group()).name(f.index(), params, i);
                case DEVICE_METRIC -> {
                    Series s = devices.get(f.group()).series(f.index(), f.metric());
                    if (s == null) {
                        counters.error("a " + f.group().prefix() + " statistic before its device's name", vm);
                    } else if (numeric(params, i)) {
                        batch.sample(nowNanos, vm, -1, s, params.number(i) * f.metric().scale());
                    }
                }
                case VM_METRIC -> {
                    if (numeric(params, i)) {
                        batch.sample(nowNanos, vm, -1, vmSeries.computeIfAbsent(f.metric(), m -> m.series(null)),
                                params.number(i) * f.metric().scale());
                    }
                }
                case COUNT -> {
                    if (numeric(params, i)) {
                        counts[f.group().ordinal()] = (int) params.number(i);
                    }
                }
                case IGNORED, UNKNOWN -> {
                    // counted when first parsed, if unknown
                }
            }
        }
        checkWhole();
        if (groupsNow == groupsEver && !anyKvm) {
            noKvmStatistics = true;
        }
    }

    private boolean feedsKvm(KvmStatSeries kvm) {
        if (kvmFeed == 0) {
            kvmFeed = kvm.claim(vm, LibvirtSource.NAME) ? 1 : -1;
        }
        return kvmFeed > 0;
    }

    /** The remembered meaning of field {@code i}, parsed again if its name changed; null for a corrupt field. */
    private StatField fieldAt(TypedParameters params, int i) {
        int length = params.fieldInto(i, field);
        if (length < 0) {
            counters.error("a statistic name without its terminating NUL", vm);
            return null;
        }
        if (i >= fields.length) {
            names = Arrays.copyOf(names, i + 1);
            fields = Arrays.copyOf(fields, i + 1);
        }
        byte[] known = names[i];
        if (known != null && Arrays.equals(known, 0, known.length, field, 0, length)) {
            return fields[i];
        }
        String name = new String(field, 0, length, StandardCharsets.UTF_8);
        StatField parsed = StatField.parse(name, params.type(i) == TypedParameters.BOOLEAN);
        if (parsed.kind() == StatField.Kind.UNKNOWN && unknownNames.add(name)) {
            counters.error("unknown statistic '" + name + "'", vm);
        }
        names[i] = Arrays.copyOf(field, length);
        fields[i] = parsed;
        return parsed;
    }

    private boolean numeric(TypedParameters params, int i) {
        if (params.isNumber(i)) {
            return true;
        }
        counters.error("a statistic of type " + params.type(i) + " where a number belongs", vm);
        return false;
    }

    /** Counts what the record promised and did not hold, and the groups libvirt skipped. */
    private void checkWhole() {
        for (Devices d : devices.values()) {
            int promised = counts[d.group.ordinal()];
            if (promised > d.namedThisRound) {
                counters.error(d.group.prefix() + ".count says " + promised + " but " + d.namedThisRound
                        + " are listed (a truncated record)", vm);
            }
        }
        int vcpus = counts[Group.VCPU.ordinal()];
        if (vcpus > 0 && (groupsNow & (1 << Group.VM.ordinal())) != 0 && vcpusSeen < vcpus) {
            counters.error("vcpu.current says " + vcpus + " but " + vcpusSeen + " vCPUs are listed", vm);
        }
        int skipped = groupsEver & ~groupsNow;
        for (Group g : Group.values()) {
            if ((skipped & (1 << g.ordinal())) != 0) {
                counters.countSkipped(g);
            }
        }
        groupsEver |= groupsNow;
    }

    /** The disks or interfaces of the domain: index to name this round, and each name's series. */
    private final class Devices {
        final Group group;
        /** The name last seen at each index, as bytes to compare and as the string the series are keyed by. */
        byte[][] knownBytes = new byte[0][];
        String[] known = new String[0];
        /** The name each index has this round; null until the record names it. */
        String[] nameAt = new String[0];
        final Map<String, Series[]> series = new HashMap<>();
        int namedThisRound;

        Devices(Group group) {
            this.group = group;
        }

        void startRound() {
            namedThisRound = 0;
            Arrays.fill(nameAt, null);
        }

        void name(int index, TypedParameters params, int i) {
            int length = params.stringInto(i, text);
            if (length <= 0) {
                counters.error(group.prefix() + "." + index + ".name is not a string", vm);
                return;
            }
            if (index >= nameAt.length) {
                knownBytes = Arrays.copyOf(knownBytes, index + 1);
                known = Arrays.copyOf(known, index + 1);
                nameAt = Arrays.copyOf(nameAt, index + 1);
            }
            byte[] bytes = knownBytes[index];
            if (bytes == null || !Arrays.equals(bytes, 0, bytes.length, text, 0, length)) {
                knownBytes[index] = Arrays.copyOf(text, length);
                known[index] = new String(text, 0, length, StandardCharsets.UTF_8);
            }
            if (nameAt[index] == null) {
                namedThisRound++;
            }
            nameAt[index] = known[index];
        }

        /** The series of a statistic of device {@code index}, or null if the record has not named it this round. */
        Series series(int index, DomainMetric metric) {
            String name = index < nameAt.length ? nameAt[index] : null;
            if (name == null) {
                return null;
            }
            Series[] byMetric = series.computeIfAbsent(name, n -> new Series[DomainMetric.values().length]);
            Series s = byMetric[metric.ordinal()];
            if (s == null) {
                s = metric.series(name);
                byMetric[metric.ordinal()] = s;
            }
            return s;
        }
    }

    @Override
    public String toString() {
        return "DomainStats[" + vm.describe() + "]";
    }
}
