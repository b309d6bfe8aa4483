package dev.hvwatch.agent.source.tracepoint;

import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.perf.PerfEventSpec;
import dev.hvwatch.nativebind.Perf;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the tracepoint source counts on each vCPU thread, in slot order: one kvm:kvm_exit event per exit reason, each
 * with a kernel filter on {@code exit_reason} (kvm_stat's method), then the exit-related kvm tracepoints this kernel
 * has, unfiltered. Every event is counted by the kernel; the agent only reads the totals.
 */
final class KvmTracepoints {
    static final String SYSTEM = "kvm";
    static final String EXIT = "kvm_exit";
    /**
     * The kvm tracepoints that mark an exit or the work one causes: kvm_exit is every exit, kvm_userspace_exit an
     * exit that QEMU handles, the rest the kinds of exit hosts see most. Those a kernel lacks are left out.
     */
    static final List<String> COUNTED = List.of(EXIT, "kvm_userspace_exit", "kvm_pio", "kvm_mmio", "kvm_fast_mmio",
            "kvm_msr", "kvm_cr", "kvm_cpuid", "kvm_hypercall", "kvm_page_fault", "kvm_emulate_insn",
            "kvm_vcpu_wakeup", "kvm_halt_poll_ns");

    static final String EXITS_METRIC = "hvwatch.vm.exits";
    static final String TRACEPOINT_METRIC = "hvwatch.kvm.tracepoint.events";

    private final List<PerfEventSpec> events;
    private final List<String> reasons;
    private final List<String> tracepoints;

    private KvmTracepoints(List<PerfEventSpec> events, List<String> reasons, List<String> tracepoints) {
        this.events = events;
        this.reasons = reasons;
        this.tracepoints = tracepoints;
    }

    /**
     * Reads ids and the exit reason table from tracefs.
     *
     * @param isa which table of kvm_exit's format applies; with {@link Isa#UNKNOWN} no reasons are counted
     * @throws IOException when tracefs or the kvm events are missing, or a file cannot be parsed
     *                     ({@link TracepointFormatException})
     */
    static KvmTracepoints load(Tracefs tracefs, Isa isa) throws IOException {
        tracefs.requireSystem();
        List<PerfEventSpec> events = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        if (isa != Isa.UNKNOWN) {
            long exitId = tracefs.id(EXIT);
            ExitReasonTable table = ExitReasonTable.parse(tracefs.format(EXIT), isa,
                    tracefs.file(EXIT, "format").toString());
            for (ExitReasonTable.Reason r : table.reasons()) {
                events.add(new PerfEventSpec(tracefs.describe(EXIT), Perf.TYPE_TRACEPOINT, exitId,
                        r.filter(table.field())));
                reasons.add(r.name());
            }
        }
        List<String> tracepoints = new ArrayList<>();
        for (String event : COUNTED) {
            if (tracefs.has(event)) {
                events.add(new PerfEventSpec(tracefs.describe(event), Perf.TYPE_TRACEPOINT, tracefs.id(event), null));
                tracepoints.add(event);
            }
        }
        if (events.isEmpty()) {
            throw new IOException(tracefs.file(EXIT, "id").getParent().getParent() + " has none of the tracepoints "
                    + COUNTED);
        }
        return new KvmTracepoints(List.copyOf(events), List.copyOf(reasons), List.copyOf(tracepoints));
    }

    /** One group's worth: the events in slot order. */
    List<PerfEventSpec> events() {
        return events;
    }

    List<String> reasons() {
        return reasons;
    }

    List<String> tracepoints() {
        return tracepoints;
    }

    /** The VM-wide series of a slot: {@code hvwatch_vm_exits_total{reason}} or the tracepoint's own. */
    Series newSeries(int slot) {
        if (slot < reasons.size()) {
            return new Series(EXITS_METRIC, "VM exits by exit reason, counted by the kernel (tracepoint kvm:kvm_exit "
                    + "filtered on exit_reason), summed over the VM's vCPUs", null, true,
                    Map.of("reason", reasons.get(slot)));
        }
        return new Series(TRACEPOINT_METRIC, "Hits of a kvm tracepoint on the VM's vCPU threads (kvm_exit: every "
                + "exit; kvm_userspace_exit: exits handled by QEMU; kvm_pio, kvm_mmio...: exits of that kind)", null,
                true, Map.of("tracepoint", tracepoints.get(slot - reasons.size())));
    }
}
