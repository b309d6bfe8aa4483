package dev.hvwatch.agent.source.perf;

import java.util.Objects;

/**
 * One event to count on every vCPU thread.
 *
 * @param name   how log lines name it, e.g. {@code task-clock} or {@code kvm:kvm_exit}
 * @param type   {@code PERF_TYPE_*}
 * @param config the event within the type: a {@code PERF_COUNT_*} value or a tracepoint id
 * @param filter a kernel-side tracepoint filter such as {@code exit_reason == 30}, or null to count every hit
 */
public record PerfEventSpec(String name, int type, long config, String filter) {
    public PerfEventSpec {
        Objects.requireNonNull(name, "name");
    }

    /** The name with its filter, for log lines. */
    public String describe() {
        return filter == null ? name : name + " [" + filter + "]";
    }
}
