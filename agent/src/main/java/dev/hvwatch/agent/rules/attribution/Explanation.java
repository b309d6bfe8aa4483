package dev.hvwatch.agent.rules.attribution;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.rules.attribution.CensusDelta.Split;
import dev.hvwatch.agent.rules.attribution.CensusDelta.Taken;
import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.vm.Vm;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Who took the CPU a starved vCPU (or a VM's vCPUs) waited for over a rule's window: each VM's share of the wait
 * and the host's, shares of all the victim's vCPUs together weighted by how long each waited. What an alert shows
 * of it: {@link #evidence()} and the message's {@link #clause()}.
 */
public final class Explanation {
    /** At most this many VMs in {@code evidence.antagonists}. */
    static final int MAX_ANTAGONISTS = 5;
    /** At most this many host process names in {@code evidence.other_host_processes}. */
    static final int MAX_PROCESSES = 3;
    /** VMs and processes below this share of the wait are not named: a few milliseconds explain nothing. */
    static final double MIN_SHARE = 0.01;
    /** VMs the message names at most; the evidence has the rest. */
    private static final int NAMED_IN_MESSAGE = 2;

    private final Vm victim;
    private final List<Antagonist> antagonists;
    private final double hostShare;
    private final List<Named> processes;
    private final double waitSeconds;

    /** One VM that ran on the victim's CPUs while it waited. */
    public record Antagonist(Vm vm, double share, CpuList cpus) {
    }

    private record Named(String name, double share) {
    }

    private Explanation(Vm victim, List<Antagonist> antagonists, double hostShare, List<Named> processes,
                        double waitSeconds) {
        this.victim = victim;
        this.antagonists = antagonists;
        this.hostShare = hostShare;
        this.processes = processes;
        this.waitSeconds = waitSeconds;
    }

    /** The splits of the victim's vCPUs together; null when none waited while anything else ran. */
    static Explanation of(Vm victim, List<Split> splits) {
        double wait = 0;
        for (Split s : splits) {
            if (s.total() > 0) {
                wait += s.waitNanos();
            }
        }
        if (wait <= 0) {
            return null;
        }
        Map<Vm, double[]> byVm = new IdentityHashMap<>();
        Map<Vm, CpuList> cpus = new IdentityHashMap<>();
        Map<String, Double> byName = new HashMap<>();
        double host = 0;
        for (Split s : splits) {
            if (s.total() <= 0) {
                continue;
            }
            double weight = s.waitNanos() / wait / s.total();
            for (Map.Entry<Vm, Taken> t : s.byVm().entrySet()) {
                byVm.computeIfAbsent(t.getKey(), v -> new double[1])[0] += weight * t.getValue().nanos;
                cpus.merge(t.getKey(), t.getValue().cpus(), CpuList::union);
            }
            host += weight * s.host();
            s.processes().forEach((name, nanos) -> byName.merge(name, weight * nanos, Double::sum));
        }
        List<Antagonist> antagonists = new ArrayList<>();
        byVm.forEach((vm, share) -> antagonists.add(new Antagonist(vm, share[0], cpus.get(vm))));
        antagonists.sort(Comparator.comparingDouble(Antagonist::share).reversed()
                .thenComparing(a -> a.vm().name()));
        List<Named> named = new ArrayList<>();
        byName.forEach((name, share) -> named.add(new Named(name, share)));
        named.sort(Comparator.comparingDouble(Named::share).reversed().thenComparing(Named::name));
        return new Explanation(victim, List.copyOf(antagonists), host, List.copyOf(named), wait / 1e9);
    }

    /** Every VM that took part of the wait, largest share first. */
    public List<Antagonist> antagonists() {
        return antagonists;
    }

    /** The host's part: its processes and whatever else ran on the victim's CPUs that no VM accounts for. */
    public double hostShare() {
        return hostShare;
    }

    /** The waits explained, in seconds. */
    public double waitSeconds() {
        return waitSeconds;
    }

    /**
     * {@code antagonists} (up to {@value #MAX_ANTAGONISTS}: the VM as alerts name it, {@code share_of_wait}, its
     * {@code cpus}), {@code other_host_share} and {@code other_host_processes} (up to {@value #MAX_PROCESSES} names).
     */
    public Map<String, Object> evidence() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Antagonist a : named()) {
            if (list.size() == MAX_ANTAGONISTS) {
                break;
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("vm", AlertFactory.vmObject(a.vm()));
            entry.put("share_of_wait", round(a.share()));
            entry.put("cpus", a.cpus().toString());
            list.add(entry);
        }
        List<String> names = processes.stream().filter(p -> p.share() >= MIN_SHARE).limit(MAX_PROCESSES)
                .map(Named::name).toList();
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("antagonists", list);
        evidence.put("other_host_share", round(hostShare));
        evidence.put("other_host_processes", names);
        return evidence;
    }

    /**
     * What the message adds: "; the CPU went to VM a (70%), VM b (23%) and host processes (7%)", naming VMs by their
     * cloud instance name where their manager recorded one, and the victim's own vCPUs (more vCPUs than the CPUs
     * they may use) as "its own other vCPUs"; empty when nothing took a named share.
     */
    public String clause() {
        List<String> parts = new ArrayList<>();
        List<Antagonist> vms = named();
        for (int i = 0; i < Math.min(NAMED_IN_MESSAGE, vms.size()); i++) {
            Vm vm = vms.get(i).vm();
            String name = vm == victim ? "its own other vCPUs"
                    : "VM " + (vm.tenant().instanceName() != null ? vm.tenant().instanceName() : vm.name());
            parts.add(name + " (" + percent(vms.get(i).share()) + ")");
        }
        if (vms.size() > NAMED_IN_MESSAGE) {
            double rest = vms.subList(NAMED_IN_MESSAGE, vms.size()).stream().mapToDouble(Antagonist::share).sum();
            int n = vms.size() - NAMED_IN_MESSAGE;
            parts.add(n + " other VM" + (n == 1 ? "" : "s") + " (" + percent(rest) + ")");
        }
        if (hostShare >= MIN_SHARE) {
            parts.add("host processes (" + percent(hostShare) + ")");
        }
        if (parts.isEmpty()) {
            return "";
        }
        String last = parts.remove(parts.size() - 1);
        return "; the CPU went to " + (parts.isEmpty() ? last : String.join(", ", parts) + " and " + last);
    }

    private List<Antagonist> named() {
        return antagonists.stream().filter(a -> a.share() >= MIN_SHARE).toList();
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
