package dev.hvwatch.agent.source.cgroup;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.OpenFile;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each VM's cgroup CPU controls — what it is entitled to (weight, limit) — and how often its limit throttled it.
 * libvirt's {@code <cputune><shares>/<quota>} and OpenStack's {@code quota:cpu_shares}/{@code cpu_quota} end up in
 * these files. Each VM's {@code /proc/PID/cgroup} is read every round, since management tools move QEMU after it
 * starts; its files stay {@link CgroupFiles open} while it stays in one cgroup. A VM whose cgroup cannot be read is
 * counted and logged once, and the other VMs go on.
 */
public final class CgroupCpuSource implements Source, AutoCloseable {
    /** The series the fairness figures take entitlement from. */
    public static final String WEIGHT = "hvwatch.vm.cpu.weight";
    public static final String LIMIT = "hvwatch.vm.cpu.limit";
    private static final Logger LOG = LoggerFactory.getLogger(CgroupCpuSource.class);

    private final Path procRoot;
    private final Path cgroupRoot;
    private final Supplier<Collection<WatchedVm>> vms;
    private final EventRing ring;
    private final Map<Vm, VmSeries> series = new IdentityHashMap<>();
    private final LongAdder unreadable = new LongAdder();
    /** Large enough for any cgroup control file and a process's cgroup list. */
    private final ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);

    public CgroupCpuSource(Path procRoot, Path cgroupRoot, Supplier<Collection<WatchedVm>> vms, EventRing ring) {
        this.procRoot = procRoot;
        this.cgroupRoot = cgroupRoot;
        this.vms = vms;
        this.ring = ring;
    }

    @Override
    public String name() {
        return "cgroup";
    }

    @Override
    public void sample(long nowNanos) throws IOException {
        Collection<WatchedVm> watched = vms.get();
        Set<Vm> current = watched.stream().map(WatchedVm::vm).collect(Collectors.toSet());
        for (Iterator<Map.Entry<Vm, VmSeries>> it = series.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Vm, VmSeries> e = it.next();
            if (!current.contains(e.getKey())) {
                e.getValue().files.close();
                it.remove();
            }
        }
        int failed = 0;
        IOException last = null;
        for (WatchedVm w : watched) {
            Vm vm = w.vm();
            VmSeries s = series.get(vm);
            CpuControls controls;
            try {
                if (s == null) {
                    s = new VmSeries(procRoot.resolve(Long.toString(vm.pid())).resolve("cgroup"));
                    series.put(vm, s);
                }
                controls = s.files.controls(cgroupRoot, buffer);
            } catch (IOException e) {
                if (!Files.exists(procRoot.resolve(Long.toString(vm.pid())))) {
                    continue; // the VM ended after discovery looked
                }
                unreadable.increment();
                failed++;
                last = e;
                if (s != null) {
                    s.files.forget(); // moved, or its cgroup removed: looked up afresh next round
                }
                if (s == null || !s.warned) {
                    LOG.warn("cgroup CPU controls of {}: {}", vm.describe(), e.getMessage());
                    if (s != null) {
                        s.warned = true;
                    }
                }
                continue;
            }
            ring.publishSample(nowNanos, vm, -1, s.weight, controls.weight());
            ring.publishSample(nowNanos, vm, -1, s.limit, controls.limitCpus());
            ring.publishSample(nowNanos, vm, -1, s.periods, controls.periods());
            ring.publishSample(nowNanos, vm, -1, s.throttledPeriods, controls.throttledPeriods());
            ring.publishSample(nowNanos, vm, -1, s.throttled, controls.throttledSeconds());
        }
        if (failed > 0 && failed == watched.size()) {
            throw new IOException("no VM's cgroup CPU controls are readable: " + last.getMessage(), last);
        }
    }

    @Override
    public void close() {
        series.values().forEach(s -> s.files.close());
        series.clear();
    }

    /** VMs whose cgroup could not be read, counted per round. */
    public long errors() {
        return unreadable.sum();
    }

    /** One VM's series, made once so that publishing allocates nothing, and its cgroup's files. */
    private static final class VmSeries {
        final CgroupFiles files;
        final Series weight = new Series(WEIGHT, "The VM's cgroup CPU weight on the cgroup v2 scale (100 = default; "
                + "v1 cpu.shares x 100/1024)", null, false, Map.of());
        final Series limit = new Series(LIMIT, "The VM's cgroup CPU bandwidth limit in CPUs (+Inf: none)", "cpus",
                false, Map.of());
        final Series periods = new Series("hvwatch.vm.cpu.periods", "CPU bandwidth enforcement periods of the VM's "
                + "cgroup", null, true, Map.of());
        final Series throttledPeriods = new Series("hvwatch.vm.cpu.throttled.periods", "Enforcement periods in which "
                + "the VM's cgroup used up its CPU limit and was throttled", null, true, Map.of());
        final Series throttled = new Series("hvwatch.vm.cpu.throttled", "Time the VM's cgroup was throttled by its CPU "
                + "limit", "seconds", true, Map.of());
        boolean warned;

        VmSeries(Path membership) throws IOException {
            files = new CgroupFiles(OpenFile.open(membership));
        }
    }
}
