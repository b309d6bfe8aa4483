package dev.hvwatch.agent.source.tracepoint;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.perf.PerfEventOpener;
import dev.hvwatch.agent.source.perf.VcpuCounterTracker;
import dev.hvwatch.agent.source.perf.VmCounters;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VM exits per reason, and the other exit-related kvm tracepoints, per VM: kvm_stat's method. The kernel counts
 * each event on each vCPU thread (counting mode: no sampling, no ring buffer), so the agent's cost does not grow
 * with the exit rate; each round reads every thread's group once and publishes the VM's sums.
 *
 * <p>The tracefs ids and the exit reason table are read in the first round. If that fails (tracefs not mounted, a
 * file that does not parse), the source stays down with that message until the agent restarts, without reading
 * the files again or counting the error again.
 */
public final class ExitTracepointSource implements Source, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExitTracepointSource.class);

    private final Tracefs tracefs;
    private final Isa isa;
    private final Supplier<Collection<WatchedVm>> vms;
    private final Batch batch;
    private final PerfEventOpener opener = new PerfEventOpener(name());
    private final LongAdder parseErrors = new LongAdder();
    private IOException setupFailure;
    /** Set once, on the sampling thread; volatile because {@link #errors} is read by the metrics thread. */
    private volatile VcpuCounterTracker tracker;
    private IntFunction<Series> newSeries;
    private long[] totals;

    /**
     * @param tracefsRoot where tracefs is mounted, normally {@code /sys/kernel/tracing}
     * @param isa         which exit reason table applies, normally {@code Isa.detect(Path.of("/sys/module"))}
     */
    public ExitTracepointSource(Path tracefsRoot, Isa isa, DiscoverySource discovery, EventRing ring) {
        this(tracefsRoot, isa, discovery::watched, ring);
    }

    ExitTracepointSource(Path tracefsRoot, Isa isa, Supplier<Collection<WatchedVm>> vms, EventRing ring) {
        this.tracefs = new Tracefs(tracefsRoot, KvmTracepoints.SYSTEM);
        this.isa = isa;
        this.vms = vms;
        this.batch = ring.batch();
    }

    @Override
    public String name() {
        return "tracepoint";
    }

    @Override
    public void sample(long nowNanos) throws IOException {
        if (tracker == null) {
            start();
        }
        tracker.update(vms.get(), Vm::kvm);
        for (VmCounters vm : tracker.vms()) {
            vm.totals(totals);
            for (int slot = 0; slot < totals.length; slot++) {
                // A reason that never happened gets no series: kvm_stat's view, and some 70 fewer series per VM.
                if (totals[slot] > 0) {
                    batch.sample(nowNanos, vm.vm(), -1, vm.series(slot, newSeries), totals[slot]);
                }
            }
        }
        batch.flush();
    }

    private void start() throws IOException {
        if (setupFailure != null) {
            throw setupFailure;
        }
        KvmTracepoints events;
        try {
            events = KvmTracepoints.load(tracefs, isa);
        } catch (IOException e) {
            if (e instanceof TracepointFormatException) {
                parseErrors.increment();
            }
            setupFailure = e;
            throw e;
        }
        if (isa == Isa.UNKNOWN) {
            LOG.info("tracepoint: exit reasons not counted: neither kvm_intel nor kvm_amd is loaded, so the reason "
                    + "table of kvm_exit's format does not apply; every exit is still counted as tracepoint kvm_exit");
        }
        LOG.info("tracepoint: counting {} exit reasons ({}) and tracepoints {} on every vCPU thread, {} perf "
                + "events per thread", events.reasons().size(), isa, events.tracepoints(), events.events().size());
        newSeries = events::newSeries;
        totals = new long[events.events().size()];
        tracker = new VcpuCounterTracker(name(), opener, List.of(events.events()));
    }

    /** Perf event descriptors open now; for the sampling thread. */
    public int descriptors() {
        return tracker == null ? 0 : tracker.descriptors();
    }

    /** tracefs files that did not parse, events the kernel refused and group reads that failed, since start. */
    public long errors() {
        return parseErrors.sum() + opener.failures() + (tracker == null ? 0 : tracker.readFailures());
    }

    @Override
    public void close() {
        if (tracker != null) {
            tracker.close();
        }
    }
}
