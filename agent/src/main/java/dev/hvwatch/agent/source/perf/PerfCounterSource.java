package dev.hvwatch.agent.source.perf;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.nativebind.LibC;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-vCPU perf counters: task-clock and context switches everywhere, and cycles, instructions and cache misses
 * where the host has a hardware PMU. Which hardware events work is probed once, on the agent's own thread, when the
 * source is created; a host without them gets one log line and {@link #hardwareUnavailable()}, never a failure per
 * thread. Software and hardware events are separate groups: a hardware group may be multiplexed when the PMU is
 * shared, the software one never is.
 */
public final class PerfCounterSource implements Source, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PerfCounterSource.class);
    private static final Path PMU_DEVICES = Path.of("/sys/bus/event_source/devices");

    private final Supplier<Collection<WatchedVm>> vms;
    private final Batch batch;
    private final PerfEventOpener opener = new PerfEventOpener(name());
    private final List<PerfCounter> counters;
    private final Optional<String> hardwareUnavailable;
    private final VcpuCounterTracker tracker;
    private final IntFunction<Series> newSeries;

    public PerfCounterSource(DiscoverySource discovery, EventRing ring) {
        this(discovery::watched, ring);
    }

    PerfCounterSource(Supplier<Collection<WatchedVm>> vms, EventRing ring) {
        this.vms = vms;
        this.batch = ring.batch();
        List<String> refused = new ArrayList<>();
        List<PerfCounter> hardware = probe(PerfCounter.HARDWARE, refused);
        List<List<PerfEventSpec>> groups = new ArrayList<>();
        groups.add(PerfCounter.SOFTWARE.stream().map(PerfCounter::event).toList());
        if (!hardware.isEmpty()) {
            groups.add(hardware.stream().map(PerfCounter::event).toList());
        }
        List<PerfCounter> all = new ArrayList<>(PerfCounter.SOFTWARE);
        all.addAll(hardware);
        counters = List.copyOf(all);
        newSeries = slot -> counters.get(slot).newSeries();
        tracker = new VcpuCounterTracker(name(), opener, groups);
        hardwareUnavailable = refused.isEmpty() ? Optional.empty() : Optional.of(explain(refused));
        hardwareUnavailable.ifPresent(why -> LOG.info("perf: hardware counters unsupported on this host ({}); "
                + "counting {} per vCPU", why, counters.stream().map(c -> c.event().name()).toList()));
    }

    @Override
    public String name() {
        return "perf";
    }

    @Override
    public void sample(long nowNanos) throws PerfAccessException {
        tracker.update(vms.get(), vm -> true);
        for (VmCounters vm : tracker.vms()) {
            for (VcpuCounters vcpu : vm.vcpus()) {
                for (int slot = 0; slot < counters.size(); slot++) {
                    batch.sample(nowNanos, vm.vm(), vcpu.index(), vcpu.series(slot, newSeries),
                            vcpu.count(slot) * counters.get(slot).scale());
                }
            }
        }
        batch.flush();
    }

    /**
     * Why some or all hardware counters are not counted on this host, for {@code doctor}; empty when cycles,
     * instructions and cache misses all work.
     */
    public Optional<String> hardwareUnavailable() {
        return hardwareUnavailable;
    }

    /** Perf event descriptors open now; for the sampling thread. */
    public int descriptors() {
        return tracker.descriptors();
    }

    /** Events the kernel refused and group reads that failed, since start. */
    public long errors() {
        return opener.failures() + tracker.readFailures();
    }

    @Override
    public void close() {
        tracker.close();
    }

    /** The counters the agent's own thread can count; the others go to {@code refused} with the kernel's reason. */
    private List<PerfCounter> probe(List<PerfCounter> candidates, List<String> refused) {
        List<PerfCounter> supported = new ArrayList<>();
        for (PerfCounter c : candidates) {
            int errno = opener.probe(c.event());
            if (errno == 0) {
                supported.add(c);
            } else {
                refused.add(c.event().name() + ": " + LibC.load().strerror(errno));
            }
        }
        return supported;
    }

    private static String explain(List<String> refused) {
        String why = String.join(", ", refused);
        return Files.isDirectory(PMU_DEVICES.resolve("cpu")) ? why
                : why + "; " + PMU_DEVICES + " has no cpu PMU";
    }
}
