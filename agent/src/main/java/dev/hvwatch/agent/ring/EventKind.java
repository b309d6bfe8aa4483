package dev.hvwatch.agent.ring;

/** What a {@link TelemetryEvent} slot currently holds. */
public enum EventKind {
    /** A VM appeared: its series start, rules begin tracking it. */
    VM_STARTED,
    /** A VM is gone: its series disappear and its firing alerts resolve. */
    VM_STOPPED,
    /** Cumulative scheduler run/wait time of one vCPU thread. */
    SCHEDSTAT,
    /** One value of a {@link Series} (VM exits, KVM statistics, perf counters), per VM and optionally per vCPU. */
    SAMPLE,
    /** A discrete {@link Notice}, about one VM or (vm null) the host. */
    NOTICE,
    /** The end of a sampling round: every source has published this round's values; rules evaluate now. */
    TICK
}
