package dev.hvwatch.agent.source.tracepoint;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.IommuFaults;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.perf.CpuCounterGroups;
import dev.hvwatch.agent.source.perf.PerfEventOpener;
import dev.hvwatch.agent.source.perf.PerfEventSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IOMMU faults as the kernel counts them, before the kernel log's rate limiting: the {@code iommu:io_page_fault}
 * tracepoint ({@link IommuFaultTracepoint}) in counting mode on every online CPU, where the fault interrupt runs. On
 * each CPU one group holds an unfiltered event (every fault) and one event per device of the host's IOMMU groups
 * filtered on the record's {@code device} field, passthrough groups first and at most {@value #MAX_DEVICES} devices,
 * listed again every 10 s. Each round publishes {@code hvwatch_iommu_faults_total{device,source="tracepoint"}} for every
 * device counted, and under {@code device="other"} the faults no device's event took: devices beyond the limit or
 * outside IOMMU groups, and faults a device had before its event joined.
 *
 * <p>The tracefs files are read and the events opened in the first round. If that fails (no tracefs, no iommu
 * events, perf_event_open refused), the source stays down with that message until the agent restarts.
 */
public final class IommuFaultSource implements Source, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IommuFaultSource.class);
    static final String OTHER = "other";
    /**
     * Events per CPU beyond the unfiltered one. Every fault runs every filter attached on its CPU, and each event is a
     * descriptor per CPU: a bound keeps both small on a host with hundreds of PCI functions.
     */
    static final int MAX_DEVICES = 64;
    /**
     * How often the IOMMU groups are listed again: a device bound to vfio-pci for a VM that starts is counted by
     * itself within this time (until then its faults count under "other"), without listing sysfs every round.
     */
    private static final long RELIST_NANOS = 10_000_000_000L;

    private final Path tracefsRoot;
    private final Path sysRoot;
    private final Batch batch;
    private final PerfEventOpener opener = new PerfEventOpener(name());
    private final LongAdder parseErrors = new LongAdder();
    /** The counted devices' series, by device; each stays once its device is gone, at its last count. */
    private final Map<String, Series> series = new LinkedHashMap<>();
    private final Series other = newSeries(OTHER);
    private final Set<String> refused = new HashSet<>();
    private IOException setupFailure;
    private IommuFaultTracepoint tracepoint;
    /** Set once, on the sampling thread; volatile because {@link #errors} is read by the metrics thread. */
    private volatile CpuCounterGroups groups;
    private int leftOut;
    private long listedAt;

    /**
     * @param tracefsRoot where tracefs is mounted, normally {@code /sys/kernel/tracing}
     * @param sysRoot     where sysfs is: the IOMMU groups and the online CPUs
     */
    public IommuFaultSource(Path tracefsRoot, Path sysRoot, EventRing ring) {
        this.tracefsRoot = tracefsRoot;
        this.sysRoot = sysRoot;
        this.batch = ring.batch();
    }

    @Override
    public String name() {
        return "iommu";
    }

    @Override
    public void sample(long nowNanos) throws IOException {
        if (groups == null) {
            start();
            listedAt = nowNanos - RELIST_NANOS;
        }
        if (nowNanos - listedAt >= RELIST_NANOS) {
            follow(IommuGroupDevices.list(sysRoot));
            listedAt = nowNanos;
        }
        groups.read();
        for (Map.Entry<String, Series> device : series.entrySet()) {
            batch.sample(nowNanos, null, -1, device.getValue(), groups.count(device.getKey()));
        }
        batch.sample(nowNanos, null, -1, other, groups.unclaimed());
        batch.flush();
    }

    private void start() throws IOException {
        if (setupFailure != null) {
            throw setupFailure;
        }
        int[] cpus;
        try {
            tracepoint = IommuFaultTracepoint.load(tracefsRoot);
            cpus = onlineCpus(sysRoot);
            groups = CpuCounterGroups.open(opener, tracepoint.all(), cpus);
        } catch (IOException e) {
            if (e instanceof TracepointFormatException) {
                parseErrors.increment();
            }
            setupFailure = e;
            throw e;
        }
        LOG.info("iommu: counting iommu:io_page_fault on {} CPUs{}", cpus.length, tracepoint.perDevice()
                ? ", per device by a filter on its device field" : "; its format has no device string, so faults "
                + "are counted together as device=\"" + OTHER + "\"");
    }

    /** Counts the devices of the IOMMU groups now, up to the limit; a device that left keeps its count. */
    private void follow(List<String> devices) {
        List<String> wanted = new ArrayList<>();
        for (String d : devices) {
            if (wanted.size() < MAX_DEVICES && !refused.contains(d)) {
                wanted.add(d);
            }
        }
        int beyond = devices.size() - wanted.size();
        if (beyond != leftOut) {
            leftOut = beyond;
            if (beyond > 0) {
                LOG.info("iommu: {} devices of IOMMU groups are not counted one by one (at most {}, or refused); "
                        + "their faults count under device=\"{}\"", beyond, MAX_DEVICES, OTHER);
            }
        }
        for (String key : List.copyOf(groups.keys())) {
            if (!wanted.contains(key)) {
                groups.remove(key);
            }
        }
        for (String d : wanted) {
            if (groups.keys().contains(d)) {
                continue;
            }
            Optional<PerfEventSpec> event = tracepoint.device(d);
            if (event.isPresent() && groups.add(d, event.get())) {
                series.computeIfAbsent(d, IommuFaultSource::newSeries);
            } else {
                refused.add(d); // asked once: a filter the kernel refused, or a name no filter can hold
            }
        }
    }

    private static Series newSeries(String device) {
        return IommuFaults.series(device, null, "tracepoint");
    }

    static int[] onlineCpus(Path sysRoot) throws IOException {
        Path file = sysRoot.resolve("devices/system/cpu/online");
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        try {
            int[] cpus = CpuList.parse(text).toArray();
            if (cpus.length == 0) {
                throw new IOException(file + " lists no CPU");
            }
            return cpus;
        } catch (IllegalArgumentException e) {
            throw new TracepointFormatException(file + ": " + e.getMessage());
        }
    }

    /**
     * Whether this host lets the agent count IOMMU faults, as {@code hvwatch-agent doctor} reports it: the same
     * set-up as the first round, undone at once.
     *
     * @return what is counted, on how many CPUs
     * @throws IOException saying why faults cannot be counted here
     */
    public static String probe(Path tracefsRoot, Path sysRoot) throws IOException {
        IommuFaultTracepoint tracepoint = IommuFaultTracepoint.load(tracefsRoot);
        int[] cpus = onlineCpus(sysRoot);
        try (CpuCounterGroups opened = CpuCounterGroups.open(new PerfEventOpener("doctor"), tracepoint.all(),
                cpus)) {
            return "iommu:io_page_fault counted by the kernel on " + cpus.length + " CPUs"
                    + (tracepoint.perDevice() ? ", per device by a filter on its device field"
                    : "; no device field in its format, so not per device");
        }
    }

    /** Perf event descriptors open now; for the sampling thread. */
    public int descriptors() {
        CpuCounterGroups g = groups;
        return g == null ? 0 : g.descriptors();
    }

    /** tracefs files that did not parse, events the kernel refused and group reads that failed, since start. */
    public long errors() {
        CpuCounterGroups g = groups;
        return parseErrors.sum() + opener.failures() + (g == null ? 0 : g.readFailures());
    }

    @Override
    public void close() {
        if (groups != null) {
            groups.close();
        }
    }
}
