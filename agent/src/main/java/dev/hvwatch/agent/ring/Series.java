package dev.hvwatch.agent.ring;

import java.util.Map;
import java.util.Objects;

/**
 * A time series a source reports on, such as "VM exits for reason HLT on vCPU 0 of VM web". A source creates one
 * per (VM, vCPU, reason …) when it first sees it and reuses it for every sample, so that a sample on the ring is a
 * reference and a number, never an allocation. Consumers key their state by identity.
 *
 * @param name       metric name in Micrometer's dotted form; Prometheus gets {@code _} and, for cumulative series,
 *                   the unit and {@code _total} suffixes (e.g. {@code hvwatch.vm.exits} → {@code hvwatch_vm_exits_total})
 * @param help       one sentence for the metric's HELP text
 * @param baseUnit   {@code seconds}, {@code bytes}, … or null for a plain count
 * @param cumulative true for counters (only grow), false for gauges
 * @param labels     label values besides {@code vm} (and {@code vcpu}, which comes from the event)
 */
public record Series(String name, String help, String baseUnit, boolean cumulative, Map<String, String> labels) {
    /** The label naming a VM's disk or network interface, which {@code metrics.perDevice: false} sums away. */
    public static final String DEVICE = "device";

    public Series {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(help, "help");
        labels = Map.copyOf(labels);
    }

    /**
     * The name Prometheus shows, which rules use too: dots become underscores, then the unit and, for counters,
     * {@code _total} are appended — Micrometer's Prometheus naming, so that a rule reads what /metrics shows.
     */
    public String prometheusName() {
        String base = name.replace('.', '_');
        if (baseUnit != null && !base.endsWith("_" + baseUnit)) {
            base = base + "_" + baseUnit;
        }
        return cumulative ? base + "_total" : base;
    }
}
