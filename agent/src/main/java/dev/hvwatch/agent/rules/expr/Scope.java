package dev.hvwatch.agent.rules.expr;

import java.util.List;

/**
 * What a rule is about, which decides its groups and the names its expressions may use. Built-in numbers: a vCPU's
 * {@code wait_share} over the last interval, cumulative {@code run_seconds} and {@code wait_seconds} (a VM's are
 * summed over its vCPUs), {@code interval_seconds}, {@code vcpu} (its index), a VM's {@code vcpus}, and the host's
 * {@code host_cpus} and {@code host_vcpus} (vCPUs of all watched VMs); a notice's {@code count} (its "count" fact,
 * else 1). vCPU and VM rules also have the string {@code antagonists}: in the message of a firing alert of a rule
 * with {@code attribute_when}, who took the CPU ("; the CPU went to VM a (70%) and host processes (9%)"), else
 * empty. Metric names (anything starting with {@code hvwatch_}, as on {@code /metrics}) are allowed in every scope
 * but NOTICE: in VCPU scope they read that vCPU's series, in VM scope the sum of the VM's series, in HOST scope the
 * host-wide series, in DEVICE scope the host-wide series whose {@code device} label names that device.
 */
public enum Scope {
    /** One group per vCPU thread; evaluated each sampling round. */
    VCPU(List.of("wait_share", "run_seconds", "wait_seconds", "interval_seconds", "vcpu"),
            List.of("vm", "uuid", "antagonists")),
    /** One group per VM; evaluated each sampling round. */
    VM(List.of("vcpus", "run_seconds", "wait_seconds", "host_cpus", "host_vcpus"), List.of("vm", "uuid", "antagonists")),
    /** One group for the host; evaluated each sampling round. */
    HOST(List.of(), List.of("host")),
    /**
     * One group per value of the {@code device} label of the host-wide series the device rules read (an empty value
     * is no device); evaluated each sampling round. A device's counters ({@code …_total}) count from 0 at the round
     * before the device was first seen, so that the events that made its series appear count as an increase.
     */
    DEVICE(List.of(), List.of("device")),
    /** One group per value of the rule's {@code group_by}; evaluated at each matching notice and each round. */
    NOTICE(List.of("count"), List.of("type", "device", "vm", "uuid", "message"));

    public static final String METRIC_PREFIX = "hvwatch_";
    /** Facts of a notice are strings named {@code facts.NAME}. */
    public static final String FACT_PREFIX = "facts.";
    /** The string a firing alert's attribution fills in (vcpu and vm scopes). */
    public static final String ANTAGONISTS = "antagonists";

    private final List<String> numbers;
    private final List<String> strings;

    Scope(List<String> numbers, List<String> strings) {
        this.numbers = numbers;
        this.strings = strings;
    }

    public List<String> numbers() {
        return numbers;
    }

    public List<String> strings() {
        return strings;
    }

    public boolean allowsMetrics() {
        return this != NOTICE;
    }
}
