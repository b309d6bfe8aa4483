package dev.hvwatch.agent.ring;

/** What a {@link TelemetryEvent} slot currently holds. */
public enum EventKind {
    /** A VM appeared: its series start, rules begin tracking it. */
    VM_STARTED,
    /** A VM is gone: its series disappear and its firing alerts resolve. */
    VM_STOPPED,
    /** Cumulative scheduler run/wait time of one vCPU thread. */
    SCHEDSTAT
}
