package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import dev.hvwatch.nativebind.TypedParameters;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Reads domains' statistics records where libvirt left them, before the list is freed, into {@link Decoded} records
 * the sampling thread publishes. One decoder per libvirt thread: what it remembers is its own.
 *
 * <p>libvirt returns the same fields in the same order round after round, so what each field means is decided the
 * first time a name appears at a position and remembered per domain: a round compares each name's bytes with the one
 * remembered there, with no string made and no map looked up. Only a changed layout (a device hot-plugged, a vCPU
 * added, a group left out) costs a parse.
 *
 * <p>What a record cannot be trusted for is counted, never fatal: a field without its NUL, a name hvwatch does not
 * know (once per name and domain), a value of the wrong type, a device statistic before its device's name, and fewer
 * devices or vCPUs than the record's own counts say (a truncated list).
 */
final class RecordDecoder {
    private static final int MAX_DEVICE_NAME = 256;
    private static final Group[] DEVICE_GROUPS = {Group.BLOCK, Group.NET};

    private final LibvirtCounters counters;
    private final byte[] field = new byte[TypedParameters.FIELD_LENGTH];
    private final byte[] text = new byte[MAX_DEVICE_NAME];
    private final Map<DomainStats, Layout> layouts = new IdentityHashMap<>();
    private final int[] counts = new int[Group.values().length];

    RecordDecoder(LibvirtCounters counters) {
        this.counters = counters;
    }

    /** One domain's decoded record: each field's meaning, value (NaN: nothing to publish) and device. */
    static final class Decoded {
        final DomainStats domain;
        final long collectedAtNanos;
        final StatField[] fields;
        final double[] values;
        final String[] devices;
        /** Groups the record held, one bit per {@link Group} ordinal. */
        int groups;
        boolean anyKvm;

        Decoded(DomainStats domain, long collectedAtNanos, int size) {
            this.domain = domain;
            this.collectedAtNanos = collectedAtNanos;
            this.fields = new StatField[size];
            this.values = new double[size];
            this.devices = new String[size];
        }
    }

    /** Forgets the layouts of domains no longer watched. */
    void retain(Collection<DomainStats> domains) {
        layouts.keySet().retainAll(domains);
    }

    Decoded decode(DomainStats domain, TypedParameters params, long collectedAtNanos) {
        Layout layout = layouts.computeIfAbsent(domain, d -> new Layout());
        layout.ensureCapacity(params.count());
        Decoded out = new Decoded(domain, collectedAtNanos, params.count());
        Arrays.fill(counts, -1);
        layout.startRound();
        int vcpusSeen = 0;
        for (int i = 0; i < params.count(); i++) {
            out.values[i] = Double.NaN;
            StatField f = fieldAt(domain, layout, params, i);
            out.fields[i] = f;
            if (f == null) {
                continue;
            }
            if (f.group() != null) {
                out.groups |= 1 << f.group().ordinal();
            }
            if (f.group() == Group.VCPU && f.index() >= 0) {
                vcpusSeen = Math.max(vcpusSeen, f.index() + 1);
            }
            switch (f.kind()) {
                case KVM -> {
                    out.anyKvm = true;
                    out.values[i] = number(domain, params, i) * f.kvm().scale();
                }
                case DEVICE_NAME -> layout.devices(f.group()).name(domain, f.index(), params, i);
                case DEVICE_METRIC -> {
                    out.devices[i] = layout.devices(f.group()).nameOf(f.index());
                    if (out.devices[i] == null) {
                        counters.error("a " + f.group().prefix() + " statistic before its device's name",
                                domain.vm());
                    } else {
                        out.values[i] = number(domain, params, i) * f.metric().scale();
                    }
                }
                case VM_METRIC -> out.values[i] = number(domain, params, i) * f.metric().scale();
                case COUNT -> {
                    double n = number(domain, params, i);
                    counts[f.group().ordinal()] = Double.isNaN(n) ? -1 : (int) n;
                }
                case IGNORED, UNKNOWN -> {
                    // counted when first parsed, if unknown
                }
            }
        }
        checkCounts(domain, layout, out.groups, vcpusSeen);
        return out;
    }

    /** The remembered meaning of field {@code i}, parsed again if its name changed; null for a corrupt field. */
    private StatField fieldAt(DomainStats domain, Layout layout, TypedParameters params, int i) {
        int length = params.fieldInto(i, field);
        if (length < 0) {
            counters.error("a statistic name without its terminating NUL", domain.vm());
            return null;
        }
        byte[] known = layout.names[i];
        if (known != null && Arrays.equals(known, 0, known.length, field, 0, length)) {
            return layout.fields[i];
        }
        String name = new String(field, 0, length, StandardCharsets.UTF_8);
        StatField parsed = StatField.parse(name, params.type(i) == TypedParameters.BOOLEAN);
        if (parsed.kind() == StatField.Kind.UNKNOWN && domain.firstTimeUnknown(name)) {
            counters.error("unknown statistic '" + name + "'", domain.vm());
        }
        layout.names[i] = Arrays.copyOf(field, length);
        layout.fields[i] = parsed;
        return parsed;
    }

    /** The value of a numeric field; NaN (counted) if it holds something else. */
    private double number(DomainStats domain, TypedParameters params, int i) {
        if (params.isNumber(i)) {
            return params.number(i);
        }
        counters.error("a statistic of type " + params.type(i) + " where a number belongs", domain.vm());
        return Double.NaN;
    }

    /** Counts what the record promised and did not hold. */
    private void checkCounts(DomainStats domain, Layout layout, int groups, int vcpusSeen) {
        for (Group g : DEVICE_GROUPS) {
            int promised = counts[g.ordinal()];
            int named = layout.devices(g).namedThisRound;
            if (promised > named) {
                counters.error(g.prefix() + ".count says " + promised + " but " + named
                        + " are listed (a truncated record)", domain.vm());
            }
        }
        int vcpus = counts[Group.VCPU.ordinal()];
        if (vcpus > 0 && (groups & (1 << Group.VM.ordinal())) != 0 && vcpusSeen < vcpus) {
            counters.error("vcpu.current says " + vcpus + " but " + vcpusSeen + " vCPUs are listed", domain.vm());
        }
    }

    /** What one domain's records looked like last time: the names at each position and their devices. */
    private final class Layout {
        byte[][] names = new byte[0][];
        StatField[] fields = new StatField[0];
        final Devices block = new Devices(Group.BLOCK);
        final Devices net = new Devices(Group.NET);

        void ensureCapacity(int n) {
            if (n > fields.length) {
                names = Arrays.copyOf(names, n);
                fields = Arrays.copyOf(fields, n);
            }
        }

        void startRound() {
            block.startRound();
            net.startRound();
        }

        Devices devices(Group group) {
            return group == Group.BLOCK ? block : net;
        }
    }

    /** The disks or interfaces of a domain: index to name this round. */
    private final class Devices {
        final Group group;
        /** The name last seen at each index, as bytes to compare and as a string kept while the name stays. */
        byte[][] knownBytes = new byte[0][];
        String[] known = new String[0];
        /** The name each index has this round; null until the record names it. */
        String[] nameAt = new String[0];
        int namedThisRound;

        Devices(Group group) {
            this.group = group;
        }

        void startRound() {
            namedThisRound = 0;
            Arrays.fill(nameAt, null);
        }

        void name(DomainStats domain, int index, TypedParameters params, int i) {
            int length = params.stringInto(i, text);
            if (length <= 0) {
                counters.error(group.prefix() + "." + index + ".name is not a string", domain.vm());
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

        String nameOf(int index) {
            return index < nameAt.length ? nameAt[index] : null;
        }
    }
}
