package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.source.kvmstat.KvmMetric;
import dev.hvwatch.agent.source.kvmstat.StatDescriptor;
import dev.hvwatch.agent.source.kvmstat.StatType;
import dev.hvwatch.agent.source.kvmstat.StatUnit;
import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import java.util.Arrays;

/**
 * What one field of a domain's bulk statistics is to hvwatch, read once from its name ({@code vcpu.0.exits.sum},
 * {@code block.1.rd.bytes}, …) and then remembered.
 *
 * <h2>KVM statistics</h2>
 * libvirt relays the kernel's binary statistics as {@code vm.NAME.SUFFIX} and {@code vcpu.N.NAME.SUFFIX}, the suffix
 * standing for the statistic's type ({@code sum} cumulative, {@code cur} instant, {@code max} peak; histograms are not
 * relayed), values raw. It does not relay the unit and exponent QEMU's {@code query-stats-schemas} gives, so they are
 * read from what the kernel's own naming guarantees: every time statistic is in nanoseconds and named {@code *_ns}
 * (the kernel's {@code STATS_DESC_TIME_NSEC}), booleans arrive as boolean parameters, every other statistic is a plain
 * count. So each maps through {@link KvmMetric} to the very series the QMP source publishes; a test checks the
 * inference against QEMU's schema on a real host.
 *
 * @param index the vCPU or device index, or -1
 * @param kvm   for {@link Kind#KVM}: the metric
 * @param metric for {@link Kind#DEVICE_METRIC} and {@link Kind#VM_METRIC}: the metric
 */
record StatField(Kind kind, Group group, int index, KvmMetric kvm, DomainMetric metric) {

    enum Kind {
        /** A KVM statistic of the VM ({@code index} -1) or of vCPU {@code index}. */
        KVM,
        /** {@code block.N.name}, {@code net.N.name}: the device the following fields of index N are about. */
        DEVICE_NAME,
        DEVICE_METRIC,
        VM_METRIC,
        /** {@code block.count}, {@code net.count}, {@code vcpu.current}: how many indexes the record should hold. */
        COUNT,
        /** Known, and read elsewhere or not needed (schedstat has each vCPU's run and wait time already). */
        IGNORED,
        /** Not a name this version of hvwatch knows: counted as an error once per domain and name. */
        UNKNOWN
    }

    static final StatField IGNORED_FIELD = new StatField(Kind.IGNORED, null, -1, null, null);

    /** @param isBoolean whether the parameter's type is boolean (which tells a boolean KVM statistic) */
    static StatField parse(String name, boolean isBoolean) {
        String[] parts = name.split("\\.", -1);
        Group group = group(parts[0]);
        if (group == null || parts.length < 2) {
            return unknown();
        }
        return switch (group) {
            case VM -> parts.length == 3 ? kvm(group, -1, parts[1], parts[2], isBoolean) : unknown();
            case VCPU -> vcpu(parts, isBoolean);
            case BLOCK, NET -> device(group, parts);
            case BALLOON -> parts[1].equals("last-update") || parts[1].startsWith("hugetlb_") ? IGNORED_FIELD
                    : vmMetric(group, parts);
            case STATE -> parts.length == 2 && parts[1].equals("reason") ? IGNORED_FIELD : vmMetric(group, parts);
            case CPU -> parts.length == 2 && parts[1].equals("time") ? vmMetric(group, parts)
                    : parts[1].equals("user") || parts[1].equals("system") || parts[1].equals("haltpoll")
                            || parts[1].equals("cache") ? IGNORED_FIELD : unknown();
        };
    }

    private static StatField vcpu(String[] parts, boolean isBoolean) {
        if (parts.length == 2) {
            return switch (parts[1]) {
                case "current" -> new StatField(Kind.COUNT, Group.VCPU, -1, null, null);
                case "maximum" -> IGNORED_FIELD;
                default -> unknown();
            };
        }
        int index = index(parts[1]);
        if (index < 0) {
            return unknown();
        }
        if (parts.length == 3) {
            return switch (parts[2]) {
                case "state", "time", "wait", "delay", "halted" -> new StatField(Kind.IGNORED, Group.VCPU, index,
                        null, null);
                default -> unknown();
            };
        }
        return parts.length == 4 ? kvm(Group.VCPU, index, parts[2], parts[3], isBoolean) : unknown();
    }

    private static StatField device(Group group, String[] parts) {
        if (parts.length == 2) {
            return parts[1].equals("count") ? new StatField(Kind.COUNT, group, -1, null, null) : unknown();
        }
        int index = index(parts[1]);
        if (index < 0) {
            return unknown();
        }
        String rest = String.join(".", Arrays.copyOfRange(parts, 2, parts.length));
        switch (rest) {
            case "name":
                return new StatField(Kind.DEVICE_NAME, group, index, null, null);
            case "path", "backingIndex", "threshold":
                return IGNORED_FIELD;
            default:
                DomainMetric m = DomainMetric.of(group, rest);
                return m == null ? unknown() : new StatField(Kind.DEVICE_METRIC, group, index, null, m);
        }
    }

    private static StatField vmMetric(Group group, String[] parts) {
        DomainMetric m = parts.length == 2 ? DomainMetric.of(group, parts[1]) : null;
        return m == null ? unknown() : new StatField(Kind.VM_METRIC, group, -1, null, m);
    }

    private static StatField kvm(Group group, int index, String stat, String suffix, boolean isBoolean) {
        StatType type = switch (suffix) {
            case "sum" -> StatType.CUMULATIVE;
            case "cur" -> StatType.INSTANT;
            case "max" -> StatType.PEAK;
            default -> null;
        };
        if (type == null || stat.isEmpty()) {
            return unknown();
        }
        boolean nanoseconds = stat.endsWith("_ns");
        StatUnit unit = isBoolean ? StatUnit.BOOLEAN : nanoseconds ? StatUnit.SECONDS : StatUnit.NONE;
        StatDescriptor descriptor = new StatDescriptor(stat, type, unit, 10, unit == StatUnit.SECONDS ? -9 : 0);
        return KvmMetric.of(descriptor).map(m -> new StatField(Kind.KVM, group, index, m, null)).orElse(unknown());
    }

    private static Group group(String prefix) {
        for (Group g : Group.values()) {
            if (g.prefix().equals(prefix)) {
                return g;
            }
        }
        return null;
    }

    /** A decimal index without sign or leading zeros beyond "0", below 100000; -1 otherwise. */
    private static int index(String s) {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(s);
    }

    private static StatField unknown() {
        return new StatField(Kind.UNKNOWN, null, -1, null, null);
    }
}
