package dev.hvwatch.agent.rules.attribution;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.rules.attribution.CensusDelta.Split;
import dev.hvwatch.agent.rules.attribution.CensusDelta.Taken;
import dev.hvwatch.agent.rules.expr.NeighbourQuery;
import dev.hvwatch.agent.source.census.CensusTaker;
import dev.hvwatch.agent.source.census.CpuCensus;
import dev.hvwatch.agent.vm.Vm;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names who took the CPU a starved vCPU waited for, at no cost while nothing is near starving.
 *
 * <p>A rule with {@code attribute_when} arms attribution while that condition holds for some subject (a threshold
 * below the rule's own: "near its threshold"). Only then are {@link CpuCensus censuses} taken: one when it arms,
 * one every {@code interval} while it stays armed, and one when an alert fires. The firing alert's
 * {@link Explanation} compares the fire-time census with the one a rule window earlier. Consecutive censuses also
 * make intervals in which every waiting vCPU's wait is divided among the VMs that ran on its CPUs: those feed
 * {@code hvwatch_vm_cpu_interference_seconds_total} (for pairs above the floor) and
 * {@code neighbours_slowed(share, window)}. Censuses are kept for the longest rule window, intervals for the longest
 * neighbours window; with nothing armed for that long both are empty and a round costs one comparison.
 *
 * <p>Single writer: the rule engine's thread calls everything here.
 */
public final class Attribution {
    private static final Logger LOG = LoggerFactory.getLogger(Attribution.class);
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final double DEFAULT_INTERFERENCE_FLOOR = 0.1;
    /** A vCPU that waited less than this share of an interval is not divided: nothing worth naming slowed it. */
    static final double MIN_WAIT = 0.01;
    /**
     * neighbours_slowed counts victims that waited at least this share of the time attribution covered: a VM is not
     * blamed for most of a neighbour's few milliseconds.
     */
    static final double MIN_VICTIM_WAIT = 0.05;

    private final CensusTaker taker;
    private final long intervalNanos;
    private final double interferenceFloor;
    private final InterferenceSink sink;
    private final ArrayDeque<CpuCensus> censuses = new ArrayDeque<>();
    private final ArrayDeque<Interval> intervals = new ArrayDeque<>();
    /** Victim VM → antagonists whose pair has a series. */
    private final Map<Vm, Set<Vm>> exposed = new IdentityHashMap<>();
    private final LongAdder taken = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder unexplained = new LongAdder();
    private long armedAt = Long.MIN_VALUE;
    private long keepCensusNanos;
    private long keepIntervalNanos;
    private List<NeighbourQuery> queries = List.of();
    /** Per antagonist VM, per query: the count as of the latest round. Empty while there are no intervals. */
    private Map<Vm, int[]> slowed = new IdentityHashMap<>();

    /**
     * @param taker             reads a census when asked; null: no attribution (alerts say nothing of who)
     * @param interval          how often a census is taken while armed
     * @param interferenceFloor the share of a victim's wait in one interval at which an antagonist pair gets its
     *                          interference series (at most 1/floor series per victim)
     */
    public Attribution(CensusTaker taker, Duration interval, double interferenceFloor, InterferenceSink sink) {
        this.taker = taker;
        this.intervalNanos = interval.toNanos();
        this.interferenceFloor = interferenceFloor;
        this.sink = sink;
        this.keepCensusNanos = intervalNanos;
    }

    /** No censuses, no explanations. */
    public static Attribution off() {
        return new Attribution(null, DEFAULT_INTERVAL, DEFAULT_INTERFERENCE_FLOOR, InterferenceSink.NONE);
    }

    /**
     * What the rules in force need: windows up to {@code longestWindowNanos} explained, and these queries answered.
     */
    public void configure(long longestWindowNanos, List<NeighbourQuery> neighbourQueries) {
        keepCensusNanos = longestWindowNanos + intervalNanos;
        queries = List.copyOf(neighbourQueries);
        keepIntervalNanos = queries.stream().mapToLong(NeighbourQuery::spanNanos).max().orElse(0);
        slowed = new IdentityHashMap<>();
    }

    /** A subject is near a rule's threshold in the round at {@code now}. */
    public void arm(long now) {
        armedAt = now;
    }

    /** The end of a round, after its rules: a census if armed and due, and what leaves the windows. */
    public void onTick(long now, Collection<Vm> vms) {
        if (taker == null || (armedAt != now && censuses.isEmpty() && intervals.isEmpty())) {
            return;
        }
        if (armedAt == now) {
            CpuCensus last = censuses.peekLast();
            if (last == null || now - last.timeNanos() >= intervalNanos) {
                census(now, vms);
            }
        }
        while (!censuses.isEmpty() && censuses.peekFirst().timeNanos() <= now - keepCensusNanos) {
            censuses.removeFirst();
        }
        boolean changed = false;
        while (!intervals.isEmpty() && intervals.peekFirst().end <= now - keepIntervalNanos) {
            intervals.removeFirst();
            changed = true;
        }
        if (!intervals.isEmpty() || changed) {
            countSlowed(now);
        }
    }

    /**
     * Who took the CPU the VM's vCPU {@code vcpu} (-1: all its vCPUs) waited for over the last {@code windowNanos}, or
     * over what the censuses cover when attribution armed later than that; null when there is no census to compare
     * with (the rule was never near its threshold before it fired) or nothing waited.
     */
    public Explanation explain(Vm vm, int vcpu, long windowNanos, long now, Collection<Vm> vms) {
        if (taker == null) {
            return null;
        }
        Explanation x = explainFromCensuses(vm, vcpu, windowNanos, now, vms);
        if (x == null) {
            unexplained.increment();
        }
        return x;
    }

    private Explanation explainFromCensuses(Vm vm, int vcpu, long windowNanos, long now, Collection<Vm> vms) {
        CpuCensus last = censuses.peekLast();
        if (last == null || last.timeNanos() < now) {
            census(now, vms);
        }
        // The fire-time census, or when that one failed or missed the VM, the latest that saw it: censuses come every
        // interval, rounded up to a sampling round, so that one is less than two intervals old. Then the latest that saw it a window before
        // that, or the earliest after it; one taken before the VM existed (attribution armed by another VM) cannot
        // say what its vCPUs waited for.
        CpuCensus end = null;
        CpuCensus start = null;
        for (Iterator<CpuCensus> it = censuses.descendingIterator(); it.hasNext(); ) {
            CpuCensus c = it.next();
            if (!sawVm(c, vm)) {
                continue;
            }
            if (end == null) {
                if (c.timeNanos() < now - 2 * intervalNanos) {
                    LOG.info("an alert of {} goes out unexplained: no recent census saw it, the latest is {} ms old",
                            vm.describe(), (now - c.timeNanos()) / 1_000_000);
                    return null;
                }
                end = c;
            } else {
                start = c;
                if (c.timeNanos() <= end.timeNanos() - windowNanos) {
                    break;
                }
            }
        }
        if (start == null) {
            LOG.info("an alert of {} goes out unexplained: {} censuses, none earlier than the one of {} ms ago that "
                    + "saw it", vm.describe(), censuses.size(), end == null ? "-" : (now - end.timeNanos()) / 1_000_000);
            return null;
        }
        CensusDelta d = CensusDelta.between(start, end);
        List<Split> splits = new ArrayList<>();
        for (CensusDelta.Thread t : d.vcpus) {
            if (t.vm() == vm && (vcpu < 0 || t.vcpu() == vcpu)) {
                splits.add(d.split(t));
            }
        }
        Explanation x = Explanation.of(vm, splits);
        if (x == null) {
            LOG.info("an alert of {} goes out unexplained: between the censuses of {} and {} ms ago, {} of its vCPU "
                    + "threads in both, none waited on busy CPUs", vm.describe(), (now - start.timeNanos()) / 1_000_000,
                    (now - end.timeNanos()) / 1_000_000, splits.size());
        }
        return x;
    }

    private static boolean sawVm(CpuCensus c, Vm vm) {
        return c.vcpus().stream().anyMatch(t -> t.vm() == vm);
    }

    /** The value of query {@code index} for the VM as of the latest round: 0 without attribution data. */
    public double neighboursSlowed(Vm vm, int index) {
        int[] counts = slowed.get(vm);
        return counts == null || index >= counts.length ? 0 : counts[index];
    }

    /** A VM whose wait another caused: its share of the wait, over the query's window. */
    record Slowed(Vm vm, double share) {
    }

    /** The VMs query {@code index} counts for the antagonist VM at {@code now}, largest share first. */
    List<Slowed> slowedBy(Vm antagonist, int index, long now) {
        NeighbourQuery q = queries.get(index);
        Window w = window(now, q.spanNanos());
        List<Slowed> out = new ArrayList<>();
        w.waits.forEach((victim, wait) -> {
            double share = w.caused(victim, antagonist) / wait;
            if (victim != antagonist && wait >= MIN_VICTIM_WAIT * w.covered && share > q.share()) {
                out.add(new Slowed(victim, share));
            }
        });
        out.sort(Comparator.comparingDouble(Slowed::share).reversed());
        return out;
    }

    /** {@link #slowedBy} as a noisy-neighbour alert's evidence: each VM as alerts name it, and its share_of_wait. */
    public List<Map<String, Object>> slowedEvidence(Vm antagonist, int index, long now) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Slowed v : slowedBy(antagonist, index, now)) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("vm", AlertFactory.vmObject(v.vm()));
            entry.put("share_of_wait", Math.round(v.share() * 1e4) / 1e4);
            out.add(entry);
        }
        return out;
    }

    public void onVmStopped(Vm vm) {
        slowed.remove(vm);
        exposed.remove(vm);
        exposed.values().forEach(antagonists -> antagonists.remove(vm));
        sink.forget(vm);
    }

    /** Censuses taken since start: how often attribution had work. */
    public long censusesTaken() {
        return taken.sum();
    }

    /** Alerts that asked who took the CPU and went out without an answer. */
    public long unexplained() {
        return unexplained.sum();
    }

    /** Censuses that could not be taken (their alerts go out without attribution). */
    public long censusesFailed() {
        return failed.sum();
    }

    private void census(long now, Collection<Vm> vms) {
        CpuCensus c;
        try {
            c = taker.take(now, vms);
        } catch (IOException | RuntimeException e) {
            if (failed.sum() == 0) {
                LOG.warn("cannot take a CPU census, so alerts cannot name who took the CPU: {}", e.toString());
            }
            failed.increment();
            return;
        }
        taken.increment();
        CpuCensus previous = censuses.peekLast();
        censuses.addLast(c);
        if (previous != null) {
            account(CensusDelta.between(previous, c));
        }
    }

    /** Divides every notable wait of the interval among the VMs that ran on the waiting vCPU's CPUs. */
    private void account(CensusDelta d) {
        Interval interval = new Interval(d.toNanos, d.nanos());
        for (CensusDelta.Thread victim : d.vcpus) {
            if (victim.waitNanos() < MIN_WAIT * d.nanos()) {
                continue;
            }
            Split s = d.split(victim);
            if (s.total() <= 0) {
                continue;
            }
            interval.waits.merge(victim.vm(), (double) victim.waitNanos(), Double::sum);
            for (Map.Entry<Vm, Taken> t : s.byVm().entrySet()) {
                double caused = victim.waitNanos() * t.getValue().nanos / s.total();
                if (t.getKey() != victim.vm() && caused >= MIN_WAIT * victim.waitNanos()) {
                    interval.caused.computeIfAbsent(victim.vm(), v -> new IdentityHashMap<>())
                            .merge(t.getKey(), caused, Double::sum);
                }
            }
        }
        interval.caused.forEach((victim, byAntagonist) -> {
            double wait = interval.waits.get(victim);
            byAntagonist.forEach((antagonist, caused) -> {
                Set<Vm> pairs = exposed.computeIfAbsent(victim, v -> new HashSet<>());
                if (pairs.contains(antagonist) || caused >= interferenceFloor * wait) {
                    pairs.add(antagonist);
                    sink.add(victim, antagonist, caused / 1e9);
                }
            });
        });
        if (keepIntervalNanos > 0) {
            intervals.addLast(interval);
        }
    }

    private void countSlowed(long now) {
        Map<Vm, int[]> counts = new IdentityHashMap<>();
        for (int i = 0; i < queries.size(); i++) {
            NeighbourQuery q = queries.get(i);
            Window w = window(now, q.spanNanos());
            for (Map.Entry<Vm, Double> victim : w.waits.entrySet()) {
                if (victim.getValue() < MIN_VICTIM_WAIT * w.covered) {
                    continue;
                }
                Map<Vm, Double> by = w.caused.get(victim.getKey());
                if (by == null) {
                    continue;
                }
                for (Map.Entry<Vm, Double> a : by.entrySet()) {
                    if (a.getValue() / victim.getValue() > q.share()) {
                        counts.computeIfAbsent(a.getKey(), v -> new int[queries.size()])[i]++;
                    }
                }
            }
        }
        slowed = counts;
    }

    /** The intervals ending within {@code (now - span, now]}, summed. */
    private Window window(long now, long span) {
        Window w = new Window();
        for (Iterator<Interval> it = intervals.descendingIterator(); it.hasNext(); ) {
            Interval i = it.next();
            if (i.end <= now - span) {
                break;
            }
            w.covered += i.nanos;
            i.waits.forEach((victim, wait) -> w.waits.merge(victim, wait, Double::sum));
            i.caused.forEach((victim, by) -> by.forEach((antagonist, caused) -> w.caused
                    .computeIfAbsent(victim, v -> new IdentityHashMap<>()).merge(antagonist, caused, Double::sum)));
        }
        return w;
    }

    /** What one interval between consecutive censuses says: each victim VM's wait and who caused how much of it. */
    private static final class Interval {
        final long end;
        final long nanos;
        final Map<Vm, Double> waits = new IdentityHashMap<>();
        final Map<Vm, Map<Vm, Double>> caused = new IdentityHashMap<>();

        Interval(long end, long nanos) {
            this.end = end;
            this.nanos = nanos;
        }
    }

    /** Intervals summed over a query's window. */
    private static final class Window {
        double covered;
        final Map<Vm, Double> waits = new IdentityHashMap<>();
        final Map<Vm, Map<Vm, Double>> caused = new IdentityHashMap<>();

        double caused(Vm victim, Vm antagonist) {
            Map<Vm, Double> by = caused.get(victim);
            Double c = by == null ? null : by.get(antagonist);
            return c == null ? 0 : c;
        }
    }
}
