package dev.hvwatch.agent.source.perf;

import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.nativebind.Perf;
import java.util.List;
import java.util.Map;

/**
 * A per-vCPU counter the perf source publishes: the event it counts and the series it becomes.
 *
 * @param metric   Micrometer's dotted name; the series is cumulative
 * @param baseUnit {@code seconds}, or null for a plain count
 * @param scale    multiplies the raw count into the base unit (task-clock counts nanoseconds)
 */
record PerfCounter(PerfEventSpec event, String metric, String help, String baseUnit, double scale) {

    /** The kernel's own accounting, present on every Linux. */
    static final List<PerfCounter> SOFTWARE = List.of(
            new PerfCounter(new PerfEventSpec("task-clock", Perf.TYPE_SOFTWARE, Perf.COUNT_SW_TASK_CLOCK, null),
                    "hvwatch.vcpu.task.clock", "CPU time of the vCPU thread, as perf's task-clock counts it",
                    "seconds", 1e-9),
            new PerfCounter(new PerfEventSpec("context-switches", Perf.TYPE_SOFTWARE, Perf.COUNT_SW_CONTEXT_SWITCHES,
                    null), "hvwatch.vcpu.context.switches", "Times the vCPU thread was switched off a host CPU",
                    null, 1));

    /** Counted by the CPU's PMU, which a host may lack (nested or software virtualisation, some clouds). */
    static final List<PerfCounter> HARDWARE = List.of(
            new PerfCounter(new PerfEventSpec("cycles", Perf.TYPE_HARDWARE, Perf.COUNT_HW_CPU_CYCLES, null),
                    "hvwatch.vcpu.cycles", "CPU cycles spent by the vCPU thread, guest and host mode", null, 1),
            new PerfCounter(new PerfEventSpec("instructions", Perf.TYPE_HARDWARE, Perf.COUNT_HW_INSTRUCTIONS, null),
                    "hvwatch.vcpu.instructions", "Instructions retired by the vCPU thread, guest and host mode", null,
                    1),
            new PerfCounter(new PerfEventSpec("cache-misses", Perf.TYPE_HARDWARE, Perf.COUNT_HW_CACHE_MISSES, null),
                    "hvwatch.vcpu.cache.misses", "Last-level cache misses of the vCPU thread, guest and host mode",
                    null, 1));

    Series newSeries() {
        return new Series(metric, help, baseUnit, true, Map.of());
    }
}
