package dev.hvwatch.agent.top;

import dev.hvwatch.agent.top.Exposition.Sample;
import dev.hvwatch.agent.vm.Steal;
import dev.hvwatch.protocol.Severity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What one refresh of {@code top} shows: per VM, rates between two scrapes of the agent's /metrics (as kvm_stat
 * computes rates between two reads of debugfs) and the figures the agent serves as they are.
 *
 * @param measured whether there was an earlier scrape, so that rates exist
 */
public record TopTable(List<VmRow> vms, List<FiringRule> hostAlerts, boolean measured) {
    static final String VM_INFO = "hvwatch_vm_info";
    /** KVM's own count of every exit (its binary statistics, through QMP or debugfs). */
    static final String KVM_EXITS = "hvwatch_kvm_exits_total";
    /** Exits by reason from the kvm_exit tracepoint, where the host fires it. */
    static final String EXITS_BY_REASON = "hvwatch_vm_exits_total";
    static final String EXIT_TRACEPOINTS = "hvwatch_kvm_tracepoint_events_total";
    static final String RUN = "hvwatch_vcpu_run_seconds_total";
    static final String WAIT = "hvwatch_vcpu_wait_seconds_total";
    static final String CPU_SHARE = "hvwatch_vm_cpu_share_ratio";
    static final String FIRING = "hvwatch_alerts_firing";

    /**
     * One VM's row. NaN where a figure is unknown: no earlier scrape, no source for it, a counter that went
     * back (the VM or the agent restarted), or, for steal, a VM that did not want any CPU.
     *
     * @param topExits exits per second by kvm_exit reason and by exit tracepoint, busiest first
     * @param steal    the share of its runnable time the VM's vCPUs waited for a host CPU
     * @param cpuShare its vCPUs' run time in the agent's last round over the host's CPU capacity
     */
    public record VmRow(String vm, double exitsPerSecond, List<Rate> topExits, double steal, double cpuShare,
                       List<FiringRule> alerts) {
        public int firing() {
            return alerts.stream().mapToInt(FiringRule::count).sum();
        }
    }

    public record Rate(String what, double perSecond) {
    }

    public record FiringRule(String rule, Severity severity, int count) {
    }

    public static TopTable between(Scrape before, Scrape now) {
        double seconds = before == null ? Double.NaN : (now.nanoTime() - before.nanoTime()) / 1e9;
        Set<String> names = new LinkedHashSet<>();
        now.named(VM_INFO).forEach(s -> names.add(s.label("vm")));
        List<VmRow> rows = new ArrayList<>();
        for (String vm : names) {
            double exits = rate(before, now, KVM_EXITS, vm, seconds);
            rows.add(new VmRow(vm, Double.isNaN(exits) ? rate(before, now, EXITS_BY_REASON, vm, seconds) : exits,
                    topExits(before, now, vm, seconds), steal(before, now, vm), now.sum(CPU_SHARE, vm),
                    firing(now, vm)));
        }
        return new TopTable(rows, firing(now, ""), before != null);
    }

    private static double rate(Scrape before, Scrape now, String metric, String vm, double seconds) {
        if (before == null) {
            return Double.NaN;
        }
        double delta = now.sum(metric, vm) - before.sum(metric, vm);
        return delta >= 0 ? delta / seconds : Double.NaN;
    }

    private static List<Rate> topExits(Scrape before, Scrape now, String vm, double seconds) {
        if (before == null) {
            return List.of();
        }
        List<Rate> rates = new ArrayList<>();
        addRates(rates, before.sumBy(EXITS_BY_REASON, vm, "reason"), now.sumBy(EXITS_BY_REASON, vm, "reason"),
                seconds, "");
        addRates(rates, before.sumBy(EXIT_TRACEPOINTS, vm, "tracepoint"),
                now.sumBy(EXIT_TRACEPOINTS, vm, "tracepoint"), seconds, "kvm_");
        rates.sort(Comparator.comparingDouble(Rate::perSecond).reversed().thenComparing(Rate::what));
        return rates;
    }

    private static void addRates(List<Rate> out, Map<String, Double> before, Map<String, Double> now, double seconds,
                                 String prefixToDrop) {
        now.forEach((what, count) -> {
            Double was = before.get(what);
            if (was != null && count > was) {
                out.add(new Rate(what.startsWith(prefixToDrop) ? what.substring(prefixToDrop.length()) : what,
                        (count - was) / seconds));
            }
        });
    }

    private static double steal(Scrape before, Scrape now, String vm) {
        if (before == null) {
            return Double.NaN;
        }
        double run = now.sum(RUN, vm) - before.sum(RUN, vm);
        double wait = now.sum(WAIT, vm) - before.sum(WAIT, vm);
        return Steal.ratio(run, wait);
    }

    /** Alerts firing for a VM, or for the host and devices when {@code vm} is "", most severe first. */
    private static List<FiringRule> firing(Scrape now, String vm) {
        List<FiringRule> firing = new ArrayList<>();
        for (Sample s : now.named(FIRING)) {
            if (s.label("vm").equals(vm) && s.value() > 0) {
                firing.add(new FiringRule(s.label("rule"), severity(s.label("severity")), (int) s.value()));
            }
        }
        firing.sort(Comparator.comparing(FiringRule::severity).reversed().thenComparing(FiringRule::rule));
        return firing;
    }

    private static Severity severity(String wireName) {
        try {
            return Severity.valueOf(wireName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(FIRING + " has an unknown severity '" + wireName + "'", e);
        }
    }
}
